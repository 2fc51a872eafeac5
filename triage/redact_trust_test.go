package triage

import "testing"

// trustRedactCases are the classes an outside test found missed (issue
// 11): separators other than space and dash in card and registration
// numbers, spacing inside or around password keywords and more particles
// after them, short English keywords in id and password pairs, a partial
// card PIN, internationalised e-mail addresses. They join redactCases, so
// every table test (exactness, idempotence, the fuzz seeds) covers them.
var trustRedactCases = []struct {
	name, in, want string
	kinds          []Kind
}{
	// Cards with other separators.
	{"card dots", "카드번호 4111.1111.1111.1111 결제 오류", "카드번호 [카드번호] 결제 오류", []Kind{KindCard}},
	{"card slashes", "card 4111/1111/1111/1111 declined", "card [CARD] declined", []Kind{KindCard}},
	{"card underscores", "카드 4111_1111_1111_1111 승인 안됨", "카드 [카드번호] 승인 안됨", []Kind{KindCard}},
	{"card spaced dashes", "card no 5500 - 0000 - 0000 - 0004 failed", "card no [CARD] failed", []Kind{KindCard}},
	{"card spaced slashes", "카드번호: 4111 / 1111 / 1111 / 1111", "카드번호: [카드번호]", []Kind{KindCard}},
	{"card mixed separators", "visa 4111-1111 1111-1111 charged twice", "visa [CARD] charged twice", []Kind{KindCard}},
	{"card dots before particle", "결제카드 5500.0000.0000.0004로 두번 결제", "결제카드 [카드번호]로 두번 결제", []Kind{KindCard}},
	{"card amex dots", "card: 3782.822463.10005", "card: [CARD]", []Kind{KindCard}},
	{"card full-width dots", "카드 ４１１１．１１１１．１１１１．１１１１", "카드 [카드번호]", []Kind{KindCard}},
	{"card spaced dots", "card number 4111 . 1111 . 1111 . 1111", "card number [CARD]", []Kind{KindCard}},
	{"card dots then expiry", "card 4111.1111.1111.1111, exp 12/27", "card [CARD], exp 12/27", []Kind{KindCard}},

	// Registration numbers with other separators.
	{"rrn dot", "주민번호 900101.1234568 입니다", "주민번호 [주민번호] 입니다", []Kind{KindRRN}},
	{"rrn slash", "주민등록번호 900101/1234568", "주민등록번호 [주민번호]", []Kind{KindRRN}},
	{"rrn underscore", "주민번호 900101_1234568", "주민번호 [주민번호]", []Kind{KindRRN}},
	{"rrn spaced dash", "주민번호 900101 - 1234568 이에요", "주민번호 [주민번호] 이에요", []Kind{KindRRN}},
	{"rrn en spaced slash", "RRN 850315 / 2345678", "RRN [RRN]", []Kind{KindRRN}},
	{"rrn spaced em dash", "주민번호 900101 — 1234568", "주민번호 [주민번호]", []Kind{KindRRN}},
	{"rrn foreigner dot", "외국인등록번호 880808.5123455", "외국인등록번호 [주민번호]", []Kind{KindRRN}},
	{"rrn en slash", "resident no. 900101/1234568", "resident no. [RRN]", []Kind{KindRRN}},
	{"rrn full-width dot", "주민번호 ９００１０１．１２３４５６８", "주민번호 [주민번호]", []Kind{KindRRN}},
	{"rrn dot and phone dots", "주민번호 900101.1234568, 연락처 010.1234.5678", "주민번호 [주민번호], 연락처 [전화번호]", []Kind{KindRRN, KindPhone}},
	{"rrn spaced keyword", "주민 번호 900101 1234568", "주민 번호 [주민번호]", []Kind{KindRRN}},
	{"rrn barcode-like with rrn word", "주민번호 8809074833789", "주민번호 [주민번호]", []Kind{KindRRN}},

	// Password keywords: spacing and particles.
	{"password spaced keyword", "비밀 번호 abcd1234 인데 안돼요", "비밀 번호 [비밀번호] 인데 안돼요", []Kind{KindPassword}},
	{"password spaced particle", "비밀번호 는 qwer1234 입니다", "비밀번호 는 [비밀번호] 입니다", []Kind{KindPassword}},
	{"password spaced particle short", "비번 은 zxcv5678", "비번 은 [비밀번호]", []Kind{KindPassword}},
	{"password particle ro", "비밀번호로 abcd1234 넣었어요", "비밀번호로 [비밀번호] 넣었어요", []Kind{KindPassword}},
	{"password particle iyo", "비번이요 qwer1234", "비번이요 [비밀번호]", []Kind{KindPassword}},
	{"password particle neunyo", "비밀번호는요 asdf!234", "비밀번호는요 [비밀번호]", []Kind{KindPassword}},
	{"password spaced paeseu wodeu", "패스 워드 hunter22 입니다", "패스 워드 [비밀번호] 입니다", []Kind{KindPassword}},
	{"password en spaced keyword", "pass word: hunter2", "pass word: [PASSWORD]", []Kind{KindPassword}},
	{"password spaced colon", "비밀번호 : abcd1234", "비밀번호 : [비밀번호]", []Kind{KindPassword}},
	{"password object particle", "비밀번호를 qwer1234로 바꿨어요", "비밀번호를 [비밀번호]로 바꿨어요", []Kind{KindPassword}},
	{"password particle inde", "비밀번호인데 abcd1234 맞나요", "비밀번호인데 [비밀번호] 맞나요", []Kind{KindPassword}},
	{"password particle im", "비번임 abcd1234", "비번임 [비밀번호]", []Kind{KindPassword}},
	{"password particle gayo", "비밀번호가요 zxcv1234", "비밀번호가요 [비밀번호]", []Kind{KindPassword}},
	{"password en is colon", "Password is : Secret123", "Password is : [PASSWORD]", []Kind{KindPassword}},
	{"password spaced equals", "비밀번호 = abc123!@", "비밀번호 = [비밀번호]", []Kind{KindPassword}},
	{"password en keyword korean particle", "password 는 hunter22", "password 는 [비밀번호]", []Kind{KindPassword}},
	{"password particle ibnida", "비밀번호입니다 qwer1234", "비밀번호입니다 [비밀번호]", []Kind{KindPassword}},

	// Id and password pairs with short keywords.
	{"pair id pw", "id kim123 pw abc123", "id [CREDENTIALS] pw [CREDENTIALS]", []Kind{KindCredentials}},
	{"pair ID PW slashes", "ID: hong / PW: 1q2w3e4r", "ID: [CREDENTIALS] / PW: [CREDENTIALS]", []Kind{KindCredentials}},
	{"pair user pass", "user kim01 pass qwer1234", "user [CREDENTIALS] pass [CREDENTIALS]", []Kind{KindCredentials}},
	{"pair uid pwd", "uid: lee99 pwd: zxcv!234", "uid: [CREDENTIALS] pwd: [CREDENTIALS]", []Kind{KindCredentials}},
	{"pair login pass", "login: park7 pass: hello123", "login: [CREDENTIALS] pass: [CREDENTIALS]", []Kind{KindCredentials}},
	{"pair ko", "아이디 kimcs 비번 qwer1234", "아이디 [계정정보] 비번 [계정정보]", []Kind{KindCredentials}},
	{"pair short values", "ID kim pw 1234", "ID [CREDENTIALS] pw [CREDENTIALS]", []Kind{KindCredentials}},
	{"pair usr equals", "usr=admin2 pw=changeme", "usr=[CREDENTIALS] pw=[CREDENTIALS]", []Kind{KindCredentials}},
	{"pair ko particles", "아이디는 hong123 이고 비번은 abcd1234", "아이디는 [계정정보] 이고 비번은 [계정정보]", []Kind{KindCredentials}},
	{"pair uid pass comma", "uid kim77, pass abcd!234", "uid [CREDENTIALS], pass [CREDENTIALS]", []Kind{KindCredentials}},

	// Partial card PINs.
	{"pin front two spaced", "카드 비밀번호 앞 2자리 12 입력했는데", "카드 비밀번호 앞 2자리 [PIN] 입력했는데", []Kind{KindPIN}},
	{"pin front two words", "카드 비번 앞두자리 34", "카드 비번 앞두자리 [PIN]", []Kind{KindPIN}},
	{"pin front digits", "비밀번호 앞자리 56 맞아요", "비밀번호 앞자리 [PIN] 맞아요", []Kind{KindPIN}},
	{"pin en first 2 digits", "card PIN first 2 digits 12", "card PIN first 2 digits [PIN]", []Kind{KindPIN}},
	{"pin en first two digits colon", "PIN first two digits: 78", "PIN first two digits: [PIN]", []Kind{KindPIN}},
	{"pin front two particle", "카드 비밀번호 앞2자리는 90", "카드 비밀번호 앞2자리는 [PIN]", []Kind{KindPIN}},
	{"pin two digit hint", "비밀번호 2자리 11", "비밀번호 2자리 [PIN]", []Kind{KindPIN}},
	{"pin front two spaced words", "카드 비밀번호 앞 두 자리 12", "카드 비밀번호 앞 두 자리 [PIN]", []Kind{KindPIN}},

	// Internationalised e-mail addresses.
	{"email hangul", "홍길동@예시.한국 으로 보내주세요", "[이메일] 으로 보내주세요", []Kind{KindEmail}},
	{"email latin accents", "contact josé@bücher.de please", "contact [EMAIL] please", []Kind{KindEmail}},
	{"email hangul domain", "메일 kim@카카오.com 입니다", "메일 [이메일] 입니다", []Kind{KindEmail}},
	{"email chinese", "用户@例子.广告", "[EMAIL]", []Kind{KindEmail}},
	{"email umlaut local", "email: müller@example.com", "email: [EMAIL]", []Kind{KindEmail}},
	{"email hangul local kr", "이메일은 사용자@도메인.kr", "이메일은 [이메일]", []Kind{KindEmail}},
	{"email greek", "e-mail θσ@παράδειγμα.ελ thanks", "e-mail [EMAIL] thanks", []Kind{KindEmail}},
	{"email ascii and hangul", "연락 hong.gildong@naver.com, 김철수@한국.kr", "연락 [이메일], [이메일]", []Kind{KindEmail}},
}

// trustKeepCases look like the classes above and must stay: a Korean
// product barcode (GS1 prefix 880) is not a registration number, and the
// wider separators and keywords must not take dates, versions, addresses,
// amounts or everyday words.
var trustKeepCases = []struct{ name, in string }{
	{"barcode 880 rrn-valid", "상품 바코드 8809074833789 재고 문의"},
	{"barcode 880 no word", "8801153909071 제품 환불해주세요"},
	{"barcode en", "barcode 8807222276020 not scanning"},
	{"barcode 880 luhn-valid too", "바코드 8803313433426 상품이 품절이에요"},
	{"barcode ean word", "EAN 8808283616626"},
	{"barcode luhn-valid no word", "8806022432209 이 상품 언제 입고돼요?"},
	{"version four parts", "버전 1.2.3.4 업데이트 후 안돼요"},
	{"ip address", "IP 192.168.100.200 접속 안됨"},
	{"date time dots", "2026.11.22.14.30 에 결제했어요"},
	{"order slashes", "order 1234/5678/9012 status?"},
	{"file name underscores", "file_2024_11_22_report.pdf 첨부했어요"},
	{"password change no value", "비밀번호 변경 후 로그인 안돼요"},
	{"password spaced keyword no value", "비밀 번호 찾기 버튼이 안 눌려요"},
	{"pass as a verb", "pass the payment step please"},
	{"boarding pass", "boarding pass 2024 issue"},
	{"user count", "user 5 people affected"},
	{"id card renewal", "id card renewal 2025"},
	{"pin reset", "PIN code reset required"},
	{"pin front two no value", "카드 비밀번호 앞 2자리 입력창이 안 떠요"},
	{"first digits without keyword", "first 2 digits of the order are 12"},
	{"pin front count", "비밀번호 앞자리 입력 오류 3회"},
	{"email without domain", "email 주소를 user@ 까지만 입력했어요"},
	{"price dots", "가격은 12.000원 이에요"},
	{"amount commas", "1,234,567,890,123원 청구됐어요"},
	{"isbn", "ISBN 978-89-12345-67-8 책 주문했어요"},
	{"model name", "모델명 SM-G991N 화면 깨짐"},
	{"order dots not luhn", "주문번호 2024.1122.1234.5678 조회 안돼요"},
	{"ups tracking", "tracking 1Z999AA10123456784"},
	{"mention everyone", "@everyone 점검 공지 확인하세요"},
	{"twitter handle", "트위터 @kakao_help 로 문의했어요"},
	{"password wrong count", "비밀번호가 틀렸다고 5번 나와요"},
	{"pw reset link", "pw reset link expired"},
	{"hangul at without domain", "사용자@ 부분에서 오류"},
	{"hangul at without dot", "가나다@라마 라고 떠요"},
	{"slash date", "2026/11/22 결제분 환불"},
	{"pass rate", "pass rate 95% 이상"},
}

func init() {
	redactCases = append(redactCases, trustRedactCases...)
	keepCases = append(keepCases, trustKeepCases...)
}

// TestRedactTrustCases reports recall on the new must-redact cases (exact
// output, and no secret left) and false positives on the new look-alikes:
// go test ./triage -run TestRedactTrustCases -v.
func TestRedactTrustCases(t *testing.T) {
	exact := 0
	for _, tc := range trustRedactCases {
		if got, kinds := Redact(tc.in); got == tc.want && equalKinds(kinds, tc.kinds) {
			exact++
		}
	}
	changed := 0
	for _, tc := range trustKeepCases {
		if got, _ := Redact(tc.in); got != tc.in {
			changed++
		}
	}
	t.Logf("must-redact: %d/%d exact; look-alikes: %d/%d changed (false positives)",
		exact, len(trustRedactCases), changed, len(trustKeepCases))
	if len(trustRedactCases) < 60 || len(trustKeepCases) < 30 {
		t.Errorf("%d new must-redact and %d new look-alike cases, want at least 60 and 30", len(trustRedactCases), len(trustKeepCases))
	}
}
