package kb

import "testing"

func TestFindContrast(t *testing.T) {
	for _, tc := range []struct {
		text          string
		asked, denied string
		ok            bool
	}{
		{"로그인 안되는거 아니에요, 회원가입이 안돼요", "회원가입이 안돼요", "로그인 안되는거", true},
		{"로그인 말고 회원가입이 안돼요", "회원가입이 안돼요", "로그인", true},
		{"로그인이 아니고 회원가입 문제예요", "회원가입 문제예요", "로그인", true},
		{"로그인이 안 되는 게 아니라 회원가입이 안 돼요", "회원가입이 안 돼요", "로그인이 안 되는 게", true},
		{"로그인 오류 아닙니다. 결제 오류예요", "결제 오류예요", "로그인 오류", true},
		{"결제 대신 환불해 주세요", "환불해 주세요", "결제", true},
		{"아니요, 로그인이 안돼요", "로그인이 안돼요", "", true},
		{"로그인 문제는 아니에요", "", "로그인 문제는", true},
		{"It's not the login, it's the sign-up", "the sign-up", "login", true},
		{"not login, signup", "signup", "login", true},
		{"Not the login but the signup page", "the signup page", "login", true},
		{"this isn't about my refund, it's about my voucher", "my voucher", "refund", true},
		{"I don't mean login, I mean signup", "signup", "login", true},
		{"instead of a refund, I want a voucher", "I want a voucher", "a refund", true},
		{"I need the signup page, not login", "I need the signup page", "login", true},
		// Not contrasts: both asked, plain complaints, an interjection.
		{"로그인뿐만 아니라 결제도 안돼요", "", "", false},
		{"로그인 말고도 결제도 안돼요", "", "", false},
		{"not only login but also payment fails", "", "", false},
		{"아니 왜 로그인이 안돼요", "", "", false},
		{"login is not working, please help", "", "", false},
		{"I can't log in, not sure why", "", "", false},
		{"I can't log in, not working", "", "", false},
		{"my card is not working but the app is fine", "", "", false},
		{"the app is not loading, it just spins", "", "", false},
		{"로그인이 안 돼요", "", "", false},
	} {
		t.Run(tc.text, func(t *testing.T) {
			got, ok := FindContrast(tc.text)
			if ok != tc.ok || got.Asked != tc.asked || got.Denied != tc.denied {
				t.Fatalf("FindContrast(%q) = %+v, %v; want asked %q, denied %q, %v", tc.text, got, ok, tc.asked, tc.denied, tc.ok)
			}
		})
	}
}

func TestMatchContrast(t *testing.T) {
	signup := Entry{ID: "signup", Examples: []string{"회원가입이 안 돼요", "회원가입 오류가 나요", "가입 인증 문자가 안 와요",
		"I can't sign up", "sign-up fails", "the signup page shows an error"}}
	with := newTestMatcher(t, append(append([]Entry{}, testEntries...), signup))
	without := newTestMatcher(t, testEntries)
	for _, tc := range []struct {
		name string
		m    *Matcher
		text string
		want string
	}{
		{"korean: the asked topic", with, "로그인 안되는거 아니에요, 회원가입이 안돼요", "signup"},
		{"korean: no entry for the asked topic", without, "로그인 안되는거 아니에요, 회원가입이 안돼요", ""},
		{"korean 말고", with, "로그인 말고 회원가입이 안돼요", "signup"},
		{"korean 말고, no entry", without, "로그인 말고 회원가입이 안돼요", ""},
		{"korean 아니라", without, "로그인이 안 되는 게 아니라 환불이 아직 안 들어왔어요", "refund"},
		{"korean denial only", without, "로그인 안되는 문제는 아니에요", ""},
		{"english not A, B", with, "It's not the login, I can't sign up", "signup"},
		{"english not A, B, no entry", without, "It's not the login, I can't sign up", ""},
		{"english B, not A", without, "when will I get my refund, not the login", "refund"},
		{"english asked part denied too", without, "not the login, I can't log in to the app", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.m.Match(tc.text)
			if tc.want == "" && ok {
				t.Fatalf("Match(%q) = %+v, want no answer", tc.text, got)
			}
			if tc.want != "" && (!ok || got.EntryID != tc.want) {
				t.Fatalf("Match(%q) = %+v, %v; want %q", tc.text, got, ok, tc.want)
			}
		})
	}
	// The control: without the denial the login entry answers, so the
	// refusals above are the contrast's doing.
	if got, ok := without.Match("로그인 안되는거 같아요"); !ok || got.EntryID != "login" {
		t.Fatalf("control: Match = %+v, %v; want login", got, ok)
	}
}
