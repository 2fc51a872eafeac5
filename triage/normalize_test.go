package triage

import "testing"

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want string
	}{
		{"korean spacing", "배송 조회", "배송조회"},
		{"korean no spacing", "배송조회", "배송조회"},
		{"particle and polite ending", "접속이 안 돼요", "접속안되"},
		{"formal ending", "접속 안됩니다", "접속안되"},
		{"misspelt ending", "접속안되요", "접속안되"},
		{"됬 misspelling and crying", "접속이 안됬어요ㅠㅠ", "접속안되"},
		{"않되 misspelling", "로그인 않되요", "로그인안되"},
		{"결재 misspelling", "결재가 안돼요", "결제안되"},
		{"어플 is 앱", "어플 접속 불가", "앱접속불가"},
		{"가 after a consonant is part of the word", "접속 불가", "접속불가"},
		{"contraction spacing", "환불해 주세요", "환불하주"},
		{"contraction", "환불 해줘", "환불하주"},
		{"laughter and exclamations", "앱이 안 열려요ㅋㅋㅋ!!!", "앱안열려"},
		{"emoji", "🔥🔥앱 터졌어요😭", "앱터지"},
		{"negation kept", "불 켜지 마", "불켜지마"},
		{"request", "불 켜주세요", "불켜주"},
		{"full width and case", "ＡＰＰ　Ｌｏｇｉｎ", "app login"},
		{"english contraction, phrasal verb glued", "I can't log in!!!", "i can not login"},
		{"phrasal verb as written glued", "cannot login", "can not login"},
		{"phrasal verbs, hyphen and -ing", "Signing up after a top-up", "signup after a topup"},
		{"past tense glued too", "logged out of the app", "logout of the app"},
		{"verb and particle apart stay apart", "log me in", "log me in"},
		{"signing in is logging in", "Can't sign in, signin fails", "can not login login fail"},
		{"won't", "The app won't open", "the app will not open"},
		{"apostrophe-less contraction", "app dont work", "app do not work"},
		{"typographic apostrophe", "it doesn’t load", "it doe not load"},
		{"apostrophe-less matches", "it doesnt load", "it doe not load"},
		{"stemming", "Charged twice for my orders", "charg twic for my order"},
		{"stemming -ing", "charging", "charg"},
		{"repeated letters", "soooo slow", "so slow"},
		{"korean placeholder", "[카드번호] 결제가 안돼요", "[카드번호] 결제안되"},
		{"english placeholder", "My [CARD] was declined", "my [card] was declin"},
		{"bracketed sentence is not a placeholder", "[the app is down]", "the app is down"},
		{"digits are not folded", "error 1000", "error 1000"},
		{"empty", "  !!! ", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Normalize(tc.in); got != tc.want {
				t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestNormalizeVariantsMeet(t *testing.T) {
	for _, tc := range []struct {
		name     string
		variants []string
	}{
		{"cannot connect", []string{"접속이 안 돼요", "접속 안됩니다", "접속안되요", "접속이 안돼요!!", "접속 안 되요ㅠㅠ"}},
		{"delivery lookup", []string{"배송 조회", "배송조회", "배송조회요"}},
		{"login", []string{"I CAN'T LOGIN", "i cant login", "I can’t login!!!"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := Normalize(tc.variants[0])
			for _, v := range tc.variants[1:] {
				if got := Normalize(v); got != want {
					t.Errorf("Normalize(%q) = %q, want %q like %q", v, got, want, tc.variants[0])
				}
			}
		})
	}
}
