package triage

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// redactCases must be redacted exactly as written.
var redactCases = []struct {
	name, in, want string
	kinds          []Kind
}{
	// Resident and foreigner registration numbers.
	{"rrn ko hyphen", "주민번호 900101-1234568 입니다", "주민번호 [주민번호] 입니다", []Kind{KindRRN}},
	{"rrn bare valid check digit", "900101-1234568", "[RRN]", []Kind{KindRRN}},
	{"rrn ko unhyphenated", "주민등록번호는 9001011234568이에요", "주민등록번호는 [주민번호]이에요", []Kind{KindRRN}},
	{"rrn foreigner", "외국인등록번호 880808-5123455 로 가입했어요", "외국인등록번호 [주민번호] 로 가입했어요", []Kind{KindRRN}},
	{"rrn en", "my RRN is 850315-2345678", "my RRN is [RRN]", []Kind{KindRRN}},
	{"rrn post-2020 without check digit beside word", "주민번호 020704-3123450", "주민번호 [주민번호]", []Kind{KindRRN}},
	{"rrn space separated", "주민번호 951231 1567897 맞아요", "주민번호 [주민번호] 맞아요", []Kind{KindRRN}},
	{"rrn back half", "주민등록번호 앞자리 900101 뒷자리 1234568", "주민등록번호 앞자리 900101 뒷자리 [주민번호]", []Kind{KindRRN}},
	{"rrn full-width", "주민번호 ９００１０１－１２３４５６８ 입니다", "주민번호 [주민번호] 입니다", []Kind{KindRRN}},

	// Payment cards.
	{"card ko hyphen", "카드번호 4111-1111-1111-1111 결제가 안돼요", "카드번호 [카드번호] 결제가 안돼요", []Kind{KindCard}},
	{"card en spaces", "card 4111 1111 1111 1111 was charged twice", "card [CARD] was charged twice", []Kind{KindCard}},
	{"card bare run", "5500000000000004", "[CARD]", []Kind{KindCard}},
	{"card amex 4-6-5", "amex 3782-822463-10005 declined", "amex [CARD] declined", []Kind{KindCard}},
	{"card jcb before particle", "결제카드 3530111333300000로 두번 결제됨", "결제카드 [카드번호]로 두번 결제됨", []Kind{KindCard}},
	{"card domestic", "9410-1234-5678-9010 카드 한도초과래요", "[카드번호] 카드 한도초과래요", []Kind{KindCard}},
	{"card luhn beats order word", "주문번호 4111111111111111", "주문번호 [카드번호]", []Kind{KindCard}},
	{"card trailing period", "card: 6011111111111117.", "card: [CARD].", []Kind{KindCard}},
	{"card full-width", "카드 ４１１１－１１１１－１１１１－１１１１ 승인거절", "카드 [카드번호] 승인거절", []Kind{KindCard}},
	{"card glued to letters", "ref X4111111111111111", "ref X[CARD]", []Kind{KindCard}},
	{"card 19 digits", "card 6011 1111 1111 1111 110", "card [CARD]", []Kind{KindCard}},

	// Bank accounts.
	{"account shinhan", "신한 110-123-456789로 환불해주세요", "신한 [계좌번호]로 환불해주세요", []Kind{KindAccount}},
	{"account kakaobank", "환불계좌 3333-01-1234567 카카오뱅크", "환불계좌 [계좌번호] 카카오뱅크", []Kind{KindAccount}},
	{"account woori", "우리은행 1002-123-456789 예금주 홍길동", "우리은행 [계좌번호] 예금주 홍길동", []Kind{KindAccount}},
	{"account kb", "국민 123456-01-123456 으로 입금해주세요", "국민 [계좌번호] 으로 입금해주세요", []Kind{KindAccount}},
	{"account nh", "농협 301-1234-5678-91", "농협 [계좌번호]", []Kind{KindAccount}},
	{"account shape without word", "123-45-678901-2 로 보내주세요", "[계좌번호] 로 보내주세요", []Kind{KindAccount}},
	{"account run after word", "계좌번호 110123456789 입니다", "계좌번호 [계좌번호] 입니다", []Kind{KindAccount}},
	{"account toss 4-4-4 after word", "토스뱅크 계좌 1000-1234-5678", "토스뱅크 계좌 [계좌번호]", []Kind{KindAccount}},
	{"account en", "refund to my account 110-123-456789 please", "refund to my account [ACCOUNT] please", []Kind{KindAccount}},
	{"account spaced after bank", "bank: 352 1234 5678 93", "bank: [ACCOUNT]", []Kind{KindAccount}},
	{"account hana", "하나은행 123-456789-12345 예금주 홍길동", "하나은행 [계좌번호] 예금주 홍길동", []Kind{KindAccount}},
	{"account ibk", "기업은행 123-123456-01-012", "기업은행 [계좌번호]", []Kind{KindAccount}},
	{"account 3-3-6 bare", "입금은 123-456-789012로 했어요", "입금은 [계좌번호]로 했어요", []Kind{KindAccount}},
	{"account word after number", "110123456789 신한으로 환불 부탁", "[계좌번호] 신한으로 환불 부탁", []Kind{KindAccount}},

	// Phone numbers.
	{"phone mobile hyphen", "010-1234-5678로 연락주세요", "[전화번호]로 연락주세요", []Kind{KindPhone}},
	{"phone mobile run", "01012345678", "[PHONE]", []Kind{KindPhone}},
	{"phone mobile spaces", "연락처 010 1234 5678 입니다", "연락처 [전화번호] 입니다", []Kind{KindPhone}},
	{"phone +82 mobile", "+82 10-1234-5678", "[PHONE]", []Kind{KindPhone}},
	{"phone +82 seoul", "+82-2-123-4567", "[PHONE]", []Kind{KindPhone}},
	{"phone +82 run", "call me at +821012345678", "call me at [PHONE]", []Kind{KindPhone}},
	{"phone +82 spaces", "call +82 10 1234 5678 now", "call [PHONE] now", []Kind{KindPhone}},
	{"phone seoul", "02-123-4567", "[PHONE]", []Kind{KindPhone}},
	{"phone area", "031-123-4567로 전화주세요", "[전화번호]로 전화주세요", []Kind{KindPhone}},
	{"phone dots", "010.1234.5678", "[PHONE]", []Kind{KindPhone}},
	{"phone landline run beside word", "전화번호 0212345678", "전화번호 [전화번호]", []Kind{KindPhone}},
	{"phone voip", "070-1234-5678 번호로 왔어요", "[전화번호] 번호로 왔어요", []Kind{KindPhone}},
	{"phone after colon", "연락처:010-9876-5432", "연락처:[전화번호]", []Kind{KindPhone}},
	{"phone full-width", "０１０－１２３４－５６７８", "[PHONE]", []Kind{KindPhone}},
	{"phone old mobile", "phone 011-123-4567", "phone [PHONE]", []Kind{KindPhone}},
	{"phone run mid sentence", "문자 01098765432로 보냈어요", "문자 [전화번호]로 보냈어요", []Kind{KindPhone}},
	{"phone beside order word", "주문자 연락처 010-1234-5678", "주문자 연락처 [전화번호]", []Kind{KindPhone}},
	{"phone two comma separated", "010-1234-5678,010-9999-8888 둘 다 안돼요", "[전화번호],[전화번호] 둘 다 안돼요", []Kind{KindPhone}},
	{"phone at start", "01012345678 이 번호로 연락 주세요", "[전화번호] 이 번호로 연락 주세요", []Kind{KindPhone}},
	{"phone at end", "연락 주세요 01012345678", "연락 주세요 [전화번호]", []Kind{KindPhone}},
	{"phone en full-width digits", "call ０１０ １２３４ ５６７８ now", "call [PHONE] now", []Kind{KindPhone}},
	{"phone ideographic spaces", "전화　０１０　１２３４　５６７８", "전화　[전화번호]", []Kind{KindPhone}},

	// E-mail.
	{"email ko", "hong@naver.com 으로 보내주세요", "[이메일] 으로 보내주세요", []Kind{KindEmail}},
	{"email en plus and subdomain", "contact me at john.doe+test@example.co.uk thanks", "contact me at [EMAIL] thanks", []Kind{KindEmail}},
	{"email glued to hangul", "메일주소는 kim_123@gmail.com입니다", "메일주소는 [이메일]입니다", []Kind{KindEmail}},
	{"email trailing period", "Email: A.B@Company.COM.", "Email: [EMAIL].", []Kind{KindEmail}},
	{"email full-width", "ｈｏｎｇ＠ｎａｖｅｒ．ｃｏｍ", "[EMAIL]", []Kind{KindEmail}},
	{"email two", "email me: a@b.com or c@d.org", "email me: [EMAIL] or [EMAIL]", []Kind{KindEmail}},

	// Passwords: the keyword stays.
	{"password ko", "비번 abcd1234 맞는데 로그인 안돼요", "비번 [비밀번호] 맞는데 로그인 안돼요", []Kind{KindPassword}},
	{"password ko particle", "비밀번호는 qwer!234 입니다", "비밀번호는 [비밀번호] 입니다", []Kind{KindPassword}},
	{"password en colon", "password: hunter2", "password: [PASSWORD]", []Kind{KindPassword}},
	{"password en equals letters", "pw=secret", "pw=[PASSWORD]", []Kind{KindPassword}},
	{"password symbols", "패스워드 abcd!@#$ 로 바꿨어요", "패스워드 [비밀번호] 로 바꿨어요", []Kind{KindPassword}},
	{"password en is", "my password is hunter2 and it fails", "my password is [PASSWORD] and it fails", []Kind{KindPassword}},
	{"password capitalised trailing period", "Password: Tr0ub4dor&3.", "Password: [PASSWORD].", []Kind{KindPassword}},
	{"password glued", "비번abcd1234", "비번[비밀번호]", []Kind{KindPassword}},
	{"password before particle", "새 비밀번호 Qwerty123!를 입력했는데", "새 비밀번호 [비밀번호]를 입력했는데", []Kind{KindPassword}},
	{"password with at sign", "pwd: p@ssw0rd", "pwd: [PASSWORD]", []Kind{KindPassword}},
	{"password amho", "암호 1q2w3e4r 인데요", "암호 [비밀번호] 인데요", []Kind{KindPassword}},
	{"password p/w", "P/W : asdf1234", "P/W : [PASSWORD]", []Kind{KindPassword}},
	{"password subject particle", "비밀번호가 abc123!! 인데 틀렸대요", "비밀번호가 [비밀번호] 인데 틀렸대요", []Kind{KindPassword}},
	{"password in parentheses", "(password: secret99)", "(password: [PASSWORD])", []Kind{KindPassword}},
	{"password passwd", "passwd=letmein", "passwd=[PASSWORD]", []Kind{KindPassword}},
	{"password digits", "비번 1234로 했어요", "비번 [비밀번호]로 했어요", []Kind{KindPassword}},
	{"password full-width", "ｐａｓｓｗｏｒｄ：ｈｕｎｔｅｒ２", "ｐａｓｓｗｏｒｄ：[PASSWORD]", []Kind{KindPassword}},
	{"password letters after korean keyword", "비번 qwerty 맞아요", "비번 [비밀번호] 맞아요", []Kind{KindPassword}},

	// PINs.
	{"pin en", "PIN 1234", "PIN [PIN]", []Kind{KindPIN}},
	{"pin ko", "핀번호 123456", "핀번호 [PIN]", []Kind{KindPIN}},
	{"pin length hint", "비밀번호 4자리 1234", "비밀번호 4자리 [PIN]", []Kind{KindPIN}},
	{"pin simple password", "간편비밀번호 135790 입력하면 오류나요", "간편비밀번호 [PIN] 입력하면 오류나요", []Kind{KindPIN}},
	{"pin en is", "my PIN is 4321 and the card is blocked", "my PIN is [PIN] and the card is blocked", []Kind{KindPIN}},
	{"pin glued hangul filler", "PIN번호: 9876", "PIN번호: [PIN]", []Kind{KindPIN}},
	{"pin cvc", "CVC 123", "CVC [PIN]", []Kind{KindPIN}},
	{"pin number", "pin number 0000", "pin number [PIN]", []Kind{KindPIN}},
	{"pin ko spaced", "핀 번호는 2580이에요", "핀 번호는 [PIN]이에요", []Kind{KindPIN}},

	// One-time codes.
	{"otp ko", "인증번호 123456 입력했는데 안돼요", "인증번호 [인증번호] 입력했는데 안돼요", []Kind{KindOTP}},
	{"otp en", "OTP 654321", "OTP [OTP]", []Kind{KindOTP}},
	{"otp verification code", "verification code is 123456", "verification code is [OTP]", []Kind{KindOTP}},
	{"otp security code", "보안코드 123", "보안코드 [인증번호]", []Kind{KindOTP}},
	{"otp particle", "인증번호는 482910인데 만료됐대요", "인증번호는 [인증번호]인데 만료됐대요", []Kind{KindOTP}},
	{"otp sms code", "SMS code: 778899", "SMS code: [OTP]", []Kind{KindOTP}},
	{"otp split", "인증 번호 123 456 입력", "인증 번호 [인증번호] 입력", []Kind{KindOTP}},
	{"otp en security code", "your security code 4455 expired", "your security code [OTP] expired", []Kind{KindOTP}},
	{"otp ko filler", "OTP번호 111222 맞게 넣었어요", "OTP번호 [인증번호] 맞게 넣었어요", []Kind{KindOTP}},
	{"otp length hint", "인증번호 6자리 123456", "인증번호 6자리 [인증번호]", []Kind{KindOTP}},
	{"otp hyphenated", "OTP 123-456 안 먹혀요", "OTP [인증번호] 안 먹혀요", []Kind{KindOTP}},

	// Credentials.
	{"credentials ko", "아이디 hong123 비번 pass1234", "아이디 [계정정보] 비번 [계정정보]", []Kind{KindCredentials}},
	{"credentials en colon slash", "id: kim / pw: abc123", "id: [CREDENTIALS] / pw: [CREDENTIALS]", []Kind{KindCredentials}},
	{"credentials en words", "user john password hunter2", "user [CREDENTIALS] password [CREDENTIALS]", []Kind{KindCredentials}},
	{"credentials ko particles", "아이디는 test_user이고 비밀번호는 qwer1234입니다", "아이디는 [계정정보]이고 비밀번호는 [계정정보]입니다", []Kind{KindCredentials}},
	{"credentials email id", "ID hong@naver.com PW abcd1234", "ID [CREDENTIALS] PW [CREDENTIALS]", []Kind{KindCredentials}},
	{"credentials login", "login: admin, password: admin123", "login: [CREDENTIALS], password: [CREDENTIALS]", []Kind{KindCredentials}},
	{"credentials username", "username jane.doe pwd S3cret!", "username [CREDENTIALS] pwd [CREDENTIALS]", []Kind{KindCredentials}},
	{"credentials account word", "계정 kim2024 비번 k1m2024!!", "계정 [계정정보] 비번 [계정정보]", []Kind{KindCredentials}},

	// Several secrets in one text.
	{"mixed credentials phone email", "아이디 hong123 비번 pass1234, 연락처 010-1234-5678, 메일 hong@naver.com",
		"아이디 [계정정보] 비번 [계정정보], 연락처 [전화번호], 메일 [이메일]", []Kind{KindCredentials, KindPhone, KindEmail}},
	{"mixed card otp phone", "카드 4111-1111-1111-1111 결제 후 인증번호 123456 입력했는데 01012345678로 문자가 안와요",
		"카드 [카드번호] 결제 후 인증번호 [인증번호] 입력했는데 [전화번호]로 문자가 안와요", []Kind{KindCard, KindOTP, KindPhone}},
	{"mixed rrn account", "주민번호 900101-1234568 계좌 110-123-456789", "주민번호 [주민번호] 계좌 [계좌번호]", []Kind{KindRRN, KindAccount}},
	{"mixed pin otp phone en", "PIN 1234 and OTP 567890 both rejected, call +82 10 1234 5678",
		"PIN [PIN] and OTP [OTP] both rejected, call [PHONE]", []Kind{KindPIN, KindOTP, KindPhone}},
	{"mixed account beside order number", "환불은 신한 110-123-456789, 주문번호 2024112212345",
		"환불은 신한 [계좌번호], 주문번호 2024112212345", []Kind{KindAccount}},
	{"mixed multiline", "비번 abcd1234\n카드 5500-0000-0000-0004", "비번 [비밀번호]\n카드 [카드번호]", []Kind{KindPassword, KindCard}},
	{"mixed kinds in order of appearance", "hong@naver.com 010-1234-5678 hong@daum.net", "[EMAIL] [PHONE] [EMAIL]", []Kind{KindEmail, KindPhone}},
	{"mixed order word then phone", "주문번호 2024112212345 주문자 01012345678", "주문번호 2024112212345 주문자 [전화번호]", []Kind{KindPhone}},
	{"mixed full-width keeps rest", "ＡＢＣ 고객입니다 ０１０－１２３４－５６７８ 연락주세요", "ＡＢＣ 고객입니다 [전화번호] 연락주세요", []Kind{KindPhone}},
}

// keepCases look like secrets but are not; Redact must leave them alone.
var keepCases = []struct{ name, in string }{
	{"order number", "주문번호 2024112212345 배송이 안와요"},
	{"amount won", "12,000원 결제했는데 두 번 빠져나갔어요"},
	{"amount millions", "1,250,000원이 청구됐어요"},
	{"amount dollars", "charged $1,299.00 twice"},
	{"date hyphen", "2026-11-22에 주문했어요"},
	{"date dots time", "2026.11.22 오후 3시부터 안돼요"},
	{"date slash time", "11/22 14:30 이후로 접속 불가"},
	{"day", "22일부터 계속 오류"},
	{"tracking ko", "운송장 6012-3456-7890 조회가 안돼요"},
	{"tracking run", "송장번호 601234567890"},
	{"tracking en", "tracking number 6012-3456-7890"},
	{"tracking bare 4-4-4", "6012-3456-7890 조회 부탁드려요"},
	{"version", "v2.3.1 업데이트 후 앱이 꺼져요"},
	{"error code letters", "에러코드 E1234 떠요"},
	{"error code number", "오류코드 500"},
	{"ip address", "192.168.0.1 접속 안됨"},
	{"attempts", "3번 시도했는데 안돼요"},
	{"people count", "10000명 대기 중이래요"},
	{"year", "2024년부터 이용 중"},
	{"16 digits failing luhn", "4111111111111112"},
	{"card word luhn fails", "카드번호 1234-5678-9012-3456 아니고 다른 카드예요"},
	{"forgot password ko", "비밀번호를 잊어버렸어요"},
	{"password reset en", "password reset doesn't work"},
	{"otp not arriving", "인증번호가 안 와요"},
	{"crypto not password", "암호화폐 1000개 출금이 안돼요"},
	{"representative number", "1588-1234 고객센터 연결이 안돼요"},
	{"business registration", "사업자등록번호 123-45-67890"},
	{"password attempts", "비밀번호 5회 오류로 잠겼어요"},
	{"password change", "비번 변경 후 로그인 안됨"},
	{"password is wrong", "my password is wrong apparently"},
	{"forgot password en", "forgot my password"},
	{"pin lost", "PIN 번호 분실했어요"},
	{"otp error", "OTP 오류가 나요"},
	{"code not received", "verification code not received"},
	{"otp expired minutes", "인증번호 3분 지나서 만료됐어요"},
	{"reservation code", "예약번호 ABC123456 확인 부탁"},
	{"reservation digits", "예약번호 123456789012"},
	{"order hash", "order #123456789 never arrived"},
	{"order grouped", "order 2024-1122-1234 status?"},
	{"receipt number", "접수번호 20261122-0001"},
	{"time ko", "10시 30분에 결제 시도"},
	{"time pm", "오후 3시 5분"},
	{"os version", "iOS 17.2.1 에서 발생"},
	{"device", "Android 14, 갤럭시 S23"},
	{"app version", "앱 버전 5.12.0"},
	{"private ip", "IP 10.0.0.254 에서 접속"},
	{"percent", "100% 재현돼요"},
	{"months", "3개월째 이용중"},
	{"price", "결제 금액 59,900원"},
	{"limit", "1,000,000원 이상 결제 불가"},
	{"won sign", "₩3,300 환불해주세요"},
	{"date run", "20261122 주문건"},
	{"long order number", "주문번호: 2026112200001235"},
	{"points", "포인트 12345점 사라짐"},
	{"coupon 4-4-4", "쿠폰 번호 1234-5678-9012"},
	{"barcode", "상품번호 8801234567893"},
	{"customer number", "고객번호 1234567890"},
	{"member number account shape", "회원번호 100-200-300400"},
	{"hex error", "error 0x80070005"},
	{"http status", "HTTP 503 Service Unavailable"},
	{"timeout", "timeout after 30000 ms"},
	{"timestamp", "2026-11-22T14:30:00Z"},
	{"case number", "case 12345678"},
	{"ticket", "ticket 1234-5678-90"},
	{"model", "model SM-G998N"},
	{"serial run", "serial 123456789012"},
	{"serial ko", "시리얼 넘버 R58N1234567"},
	{"prefix only", "010 번호로 문자 안와요"},
	{"partial phone", "010-1234 까지만 기억나요"},
	{"partial landline", "02-3456 국번"},
	{"call centre", "1544-0000 으로 전화해도 안받아요"},
	{"age", "김철수(38세) 강남구 거주"},
	{"fraction", "1/3 정도 결제 실패"},
	{"range minutes", "5-10분 기다렸어요"},
	{"range days", "2~3일 걸린대요"},
	{"rating", "3.5점 리뷰"},
	{"oid", "1.2.840.113549"},
	{"order account shape", "주문 123-456-789012 취소해주세요"},
	{"waybill account shape", "송장 123-45-678901"},
	{"isbn", "ISBN 978-89-123-4567-8"},
	{"password required", "password is required"},
	{"password mail", "비밀번호 변경 메일이 안와요"},
	{"pw link", "PW 재설정 링크 만료"},
	{"find id", "아이디 찾기가 안돼요"},
	{"id without password", "아이디 hong123 로그인이 안돼요"},
	{"user cannot login", "user john cannot login"},
	{"otp attempts", "OTP 3번 틀렸어요"},
	{"security code field", "보안코드 입력창이 안떠요"},
	{"transfer amount", "계좌 이체가 안돼요 12,000원"},
	{"bank maintenance", "은행 점검 시간 23:30~00:30"},
	{"card failures", "카드 결제 3회 실패"},
	{"card last digits", "카드 뒷자리 1234 로 결제했어요"},
	{"community centre", "주민센터 전화 1234567 안받아요"},
	{"seven digit count", "주민 1234567명 대상"},
	{"spin", "spin 1234 times"},
	{"opinion", "opinion: 5 stars"},
	{"pinpoint", "pinpoint 1234"},
	{"encryption", "encryption 암호화 256bit"},
	{"password year", "비밀번호 2024년에 바꿨어요"},
	{"placeholders en", "[PHONE] [CARD] [PASSWORD] already redacted"},
	{"placeholders ko", "[전화번호]로 연락 바랍니다, 비번 [비밀번호], PIN [PIN]"},
	{"rating decimal", "리뷰 4.5점"},
	{"always on", "24/7 support"},
	{"full date ko", "2026년 11월 22일 오후 2시 30분"},
	{"long tracking failing luhn", "6012345678902 운송장"},
	{"dangling at", "user@ 없이 가입했어요"},
	{"mention", "@hong 멘션 부탁"},
	{"language version", "C# 10.0 SDK"},
	{"pw reset ko", "pw 재설정"},
	{"error code six digits", "error code 123456"},
	{"order counts", "주문 10건 중 3건 실패"},
	{"ten digits", "1234567890"},
	{"partial account", "3333-01 까지만 보여요"},
	{"clean ko", "결제하려고 하는데 계속 오류가 나요. 빨리 확인 부탁드립니다."},
	{"clean en", "The app keeps crashing when I open the payment page."},
	{"screen size", "1920x1080 화면에서 깨져요"},
	{"decimal money", "환불 금액 12345678.90원"},
}

func TestRedact(t *testing.T) {
	for _, tc := range redactCases {
		t.Run(tc.name, func(t *testing.T) {
			got, kinds := Redact(tc.in)
			if got != tc.want {
				t.Errorf("Redact(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			if !equalKinds(kinds, tc.kinds) {
				t.Errorf("Redact(%q) kinds = %v, want %v", tc.in, kinds, tc.kinds)
			}
		})
	}
}

func TestRedactKeeps(t *testing.T) {
	for _, tc := range keepCases {
		t.Run(tc.name, func(t *testing.T) {
			got, kinds := Redact(tc.in)
			if got != tc.in || kinds != nil {
				t.Errorf("Redact(%q) = %q, %v; want it unchanged", tc.in, got, kinds)
			}
		})
	}
}

func TestRedactIdempotent(t *testing.T) {
	var texts []string
	for _, tc := range redactCases {
		texts = append(texts, tc.in)
	}
	for _, tc := range keepCases {
		texts = append(texts, tc.in)
	}
	for _, in := range texts {
		once, _ := Redact(in)
		twice, kinds := Redact(once)
		if twice != once || kinds != nil {
			t.Errorf("Redact(Redact(%q)):\n once  %q\n twice %q %v", in, once, twice, kinds)
		}
	}
}

// The tables are the specification; guard against them shrinking.
func TestRedactTableSize(t *testing.T) {
	redacted := 0
	for _, tc := range redactCases {
		if tc.kinds != nil {
			redacted++
		}
	}
	if redacted < 100 {
		t.Errorf("%d cases that must be redacted, want at least 100", redacted)
	}
	if len(keepCases) < 100 {
		t.Errorf("%d look-alike cases, want at least 100", len(keepCases))
	}
	covered := map[Kind]bool{}
	for _, tc := range redactCases {
		for _, k := range tc.kinds {
			covered[k] = true
		}
	}
	for _, k := range []Kind{KindRRN, KindCard, KindAccount, KindPhone, KindEmail, KindPassword, KindPIN, KindOTP, KindCredentials} {
		if !covered[k] {
			t.Errorf("no case covers kind %q", k)
		}
	}
}

func TestRedactCleanTextDoesNotAllocate(t *testing.T) {
	for _, in := range []string{
		"결제하려고 하는데 계속 오류가 나요. 빨리 확인 부탁드립니다.",
		"The app keeps crashing when I open the payment page.",
	} {
		if n := testing.AllocsPerRun(100, func() { Redact(in) }); n != 0 {
			t.Errorf("Redact(%q) allocates %v times, want 0", in, n)
		}
	}
}

func equalKinds(a, b []Kind) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// luhnRun returns a run of 13 or more digits (after folding full-width
// digits) that passes Luhn, or "". A Korean product barcode (880…, valid
// EAN-13) may pass Luhn by chance and is kept on purpose.
func luhnRun(s string) string {
	folded, _ := fold(s)
	for i := 0; i < len(folded); {
		n := digitRun(folded, i)
		if n >= 13 && luhn(folded[i:i+n]) && !barcode(folded[i:i+n]) {
			return folded[i : i+n]
		}
		i += n + 1
	}
	return ""
}

func FuzzRedact(f *testing.F) {
	for _, tc := range redactCases {
		f.Add(tc.in)
	}
	for _, tc := range keepCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, kinds := Redact(in)
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("Redact(%q) = %q: invalid UTF-8", in, out)
		}
		if (out == in) != (kinds == nil) {
			t.Fatalf("Redact(%q) = %q, %v: kinds disagree with the change", in, out, kinds)
		}
		if again, k := Redact(out); again != out || k != nil {
			t.Fatalf("not idempotent: %q -> %q -> %q %v", in, out, again, k)
		}
		if run := luhnRun(out); run != "" {
			t.Fatalf("Redact(%q) = %q keeps Luhn-valid run %s", in, out, run)
		}
		if strings.Count(out, "[") < strings.Count(in, "[") {
			t.Fatalf("Redact(%q) = %q lost text", in, out)
		}
	})
}

// benchTexts is what intake sees during an outage: mostly clean
// complaints, some with harmless numbers, a few with secrets.
var benchTexts = map[string][]string{
	"clean": {
		"결제하려고 하는데 계속 오류가 나요. 빨리 확인 부탁드립니다.",
		"앱이 자꾸 튕겨요 로그인도 안되고 결제도 안돼요 언제 복구되나요?",
		"The app keeps crashing when I open the payment page.",
		"I can't log in since this morning, please fix it asap.",
	},
	"numbers": {
		"주문번호 2024112212345 결제 12,000원 두 번 빠져나갔어요. 2026-11-22 14:30",
		"order #123456789 charged $1,299.00 twice on 11/22, error E1234",
		"운송장 6012-3456-7890 조회가 안돼요 3번 시도했어요",
	},
	"secrets": {
		"비번 abcd1234 맞는데 로그인 안돼요 연락처 010-1234-5678",
		"카드 4111-1111-1111-1111 결제 후 인증번호 123456 입력했는데 안돼요",
		"환불은 신한 110-123-456789로 부탁드려요 hong@naver.com",
		"id: kim / pw: abc123 login fails with 503",
	},
}

func BenchmarkRedact(b *testing.B) {
	// mix weights the categories roughly as an outage surge does.
	var mix []string
	for name, texts := range benchTexts {
		n := map[string]int{"clean": 6, "numbers": 3, "secrets": 1}[name]
		for range n {
			mix = append(mix, texts...)
		}
	}
	benchTexts["mix"] = mix
	defer delete(benchTexts, "mix")
	for _, name := range []string{"clean", "numbers", "secrets", "mix"} {
		texts := benchTexts[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				Redact(texts[i%len(texts)])
			}
		})
	}
}
