package eval

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode/utf8"
)

// GenerateSurge writes rows synthetic inquiries as a label<TAB>text file with
// a header line. About 80% belong to a handful of outage intents (login,
// app down, payment, double charge, refund, balance, voucher, verification
// code), in Korean and English with natural variation; the rest is a long
// tail of unrelated questions whose labels come from topic × request, so the
// tail keeps opening new clusters. Labels name the intent, not the language.
// The same seed always gives the same output.
func GenerateSurge(w io.Writer, rows int, seed int64) error {
	return GeneratePhrasings(w, rows, seed, AllPhrasings)
}

// Phrasings selects which of the outage intents' phrasings gen-surge uses,
// so that tuning never sees the held-out ones: the last Korean and the
// last English pattern of every outage intent.
type Phrasings int

const (
	AllPhrasings     Phrasings = iota
	TuningPhrasings            // all but the held-out patterns
	HeldOutPhrasings           // only the held-out patterns (outage rows)
)

// heldOut splits an intent's patterns by the Phrasings choice.
func (p Phrasings) pick(patterns []string) []string {
	n := len(patterns)
	switch {
	case n < 2 || p == AllPhrasings:
		return patterns
	case p == TuningPhrasings:
		return patterns[:n-1]
	}
	return patterns[n-1:]
}

// GeneratePhrasings is GenerateSurge with a choice of phrasings.
func GeneratePhrasings(w io.Writer, rows int, seed int64, phrasings Phrasings) error {
	g := newSurgeGenerator(seed, phrasings)
	bw := bufio.NewWriterSize(w, 256*1024)
	bw.WriteString("label\ttext\n")
	var line []byte
	for range rows {
		line = g.appendRow(line[:0])
		if _, err := bw.Write(line); err != nil {
			return fmt.Errorf("eval: unable to write surge: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("eval: unable to write surge: %w", err)
	}
	return nil
}

// template is a compiled phrase pattern. Pattern syntax: {a|b|c} picks one
// alternative, [x] keeps x half the time, <name> fills a slot such as an
// amount or a store. Slots may appear inside {} and [], nothing else nests.
type template []piece

type piece struct {
	alternatives []template // a literal is one alternative of one piece
	literal      string
	optional     bool
	slot         func(r *rand.Rand, b []byte) []byte
}

func compile(pattern string) template {
	var t template
	literal := func(s string) {
		if s != "" {
			t = append(t, piece{literal: s})
		}
	}
	for pattern != "" {
		i := strings.IndexAny(pattern, "{[<")
		if i < 0 {
			literal(pattern)
			break
		}
		literal(pattern[:i])
		closer := map[byte]byte{'{': '}', '[': ']', '<': '>'}[pattern[i]]
		j := strings.IndexByte(pattern[i:], closer)
		if j < 0 {
			panic("eval: unclosed " + string(pattern[i]) + " in surge template " + pattern)
		}
		body := pattern[i+1 : i+j]
		switch pattern[i] {
		case '{', '[':
			var alternatives []template
			for alt := range strings.SplitSeq(body, "|") {
				alternatives = append(alternatives, compile(alt))
			}
			t = append(t, piece{alternatives: alternatives, optional: pattern[i] == '['})
		case '<':
			fill, ok := slots[body]
			if !ok {
				panic("eval: unknown slot <" + body + "> in surge template " + pattern)
			}
			t = append(t, piece{slot: fill})
		}
		pattern = pattern[i+j+1:]
	}
	return t
}

func (t template) appendTo(r *rand.Rand, b []byte) []byte {
	for _, p := range t {
		switch {
		case p.slot != nil:
			b = p.slot(r, b)
		case p.alternatives == nil:
			b = append(b, p.literal...)
		case p.optional:
			if r.IntN(2) == 0 {
				b = p.alternatives[0].appendTo(r, b)
			}
		default:
			b = p.alternatives[r.IntN(len(p.alternatives))].appendTo(r, b)
		}
	}
	return b
}

func pick(options ...string) func(r *rand.Rand, b []byte) []byte {
	return func(r *rand.Rand, b []byte) []byte { return append(b, options[r.IntN(len(options))]...) }
}

// slots hold the customer-specific details that make each inquiry unique.
var slots = map[string]func(r *rand.Rand, b []byte) []byte{
	"app":     pick("앱", "어플", "앱", "모바일 앱", "app", "어플리케이션"),
	"store":   pick("강남역점", "홍대입구점", "판교점", "잠실점", "서면점", "해운대점", "신촌점", "역삼점", "광화문점", "수원역점", "부평점", "동성로점", "분당서현점", "일산점", "이태원점", "여의도점", "성수점", "청주점"),
	"voucher": pick("기프티콘", "모바일 상품권", "기프트카드", "쿠폰", "상품권", "모바일 교환권", "gift card"),
	"card":    pick("신한카드", "국민카드", "현대카드", "삼성카드", "체크카드", "카카오페이", "네이버페이", "토스", "법인카드"),
	"amount":  koreanAmount,
	"time":    koreanTime,
	"since":   koreanSince,
	"order":   orderNumber("주문번호 "),
	"estore":  pick("the Gangnam store", "your Hongdae branch", "the airport shop", "Pangyo store", "the station branch", "a convenience store", "your downtown shop"),
	"ecard":   pick("my Visa", "my Mastercard", "Apple Pay", "Samsung Pay", "my debit card", "Kakao Pay", "my company card"),
	"eamount": englishAmount,
	"etime":   englishTime,
	"esince":  pick("since this morning", "for an hour", "for 30 minutes", "all day", "since yesterday", "for a while now", "since 9am"),
	"eorder":  orderNumber("order #"),
}

func koreanAmount(r *rand.Rand, b []byte) []byte {
	won := (1 + r.IntN(300)) * 500
	switch {
	case won%10000 == 0 && r.IntN(2) == 0:
		b = strconv.AppendInt(b, int64(won/10000), 10)
		return append(b, "만원"...)
	case r.IntN(3) == 0:
		b = strconv.AppendInt(b, int64(won), 10)
	default:
		b = appendThousands(b, won)
	}
	return append(b, "원"...)
}

func englishAmount(r *rand.Rand, b []byte) []byte {
	won := (1 + r.IntN(300)) * 500
	switch r.IntN(3) {
	case 0:
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(won/1000), 10)
		cents := won % 1000 / 10
		return append(b, '.', byte('0'+cents/10), byte('0'+cents%10))
	case 1:
		b = append(b, "₩"...)
		return appendThousands(b, won)
	default:
		b = appendThousands(b, won)
		return append(b, " won"...)
	}
}

func appendThousands(b []byte, n int) []byte {
	s := strconv.Itoa(n)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return b
}

func koreanTime(r *rand.Rand, b []byte) []byte {
	if r.IntN(3) == 0 {
		return pick("방금", "아까", "오늘 아침에", "어제 밤에", "점심때쯤", "조금 전에", "10분 전에")(r, b)
	}
	b = append(b, []string{"오전 ", "오후 ", ""}[r.IntN(3)]...)
	b = strconv.AppendInt(b, int64(1+r.IntN(12)), 10)
	b = append(b, "시"...)
	if r.IntN(2) == 0 {
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(r.IntN(60)), 10)
		b = append(b, "분"...)
	}
	return append(b, []string{"쯤", "에", "경에"}[r.IntN(3)]...)
}

func koreanSince(r *rand.Rand, b []byte) []byte {
	if r.IntN(2) == 0 {
		return pick("아침부터", "어제부터", "아까부터", "계속", "한참째", "점심부터")(r, b)
	}
	if r.IntN(2) == 0 {
		b = strconv.AppendInt(b, int64(5+r.IntN(55)), 10)
		return append(b, "분째"...)
	}
	b = strconv.AppendInt(b, int64(1+r.IntN(5)), 10)
	return append(b, "시간째"...)
}

func englishTime(r *rand.Rand, b []byte) []byte {
	if r.IntN(2) == 0 {
		return pick("this morning", "an hour ago", "just now", "yesterday", "last night", "10 minutes ago")(r, b)
	}
	b = append(b, "at "...)
	b = strconv.AppendInt(b, int64(1+r.IntN(12)), 10)
	if r.IntN(2) == 0 {
		b = append(b, ':')
		m := r.IntN(60)
		if m < 10 {
			b = append(b, '0')
		}
		b = strconv.AppendInt(b, int64(m), 10)
	}
	return append(b, []string{"am", "pm", " pm"}[r.IntN(3)]...)
}

func orderNumber(prefix string) func(r *rand.Rand, b []byte) []byte {
	return func(r *rand.Rand, b []byte) []byte {
		b = append(b, prefix...)
		return strconv.AppendInt(b, 10000000+r.Int64N(90000000), 10)
	}
}

// intent is one label with its phrasings; weight is its share of the surge
// in thousandths.
type intent struct {
	label   string
	weight  int
	korean  []string
	english []string
}

var surgeIntents = []intent{
	{
		label: "login_failed", weight: 220,
		korean: []string{
			"로그인{이|} {안 돼요|안돼요|안 됩니다|안됨|안 되네요}",
			"<since> 로그인{이|} 안 {돼요|됩니다|되는데요}",
			"{앱|어플} 로그인하면 {오류|에러|error}{가|} {떠요|납니다|남}",
			"비밀번호 맞게 {입력했는데|넣었는데|쳤는데} 로그인{이|} 안 {돼요|됩니다|되네요}",
			"로그인 버튼 눌러도 {반응이 없어요|아무 반응 없음|계속 로딩만 돼요}",
			"아이디 비번 {맞는데|정확한데} 로그인 실패{라고|} {떠요|나와요|뜹니다}",
			"{갑자기|오늘부터|아까부터} 로그인{이|} {안 되는데|안되는데} {왜 그런가요|무슨 일이에요|서버 문제인가요}?",
			"{카카오|네이버|애플|구글} 로그인{이|} 안 {돼요|됩니다|됨}",
			"로그인하려고 하면 {튕겨요|앱이 꺼져요|세션 만료라고 나와요}",
			"login{이|} {안 돼요|안됨}",
			"자동로그인 풀리고 다시 로그인{이|} 안 {돼요|됩니다}",
			"[지금 ]로그인 {장애|오류} {있나요|맞죠|인가요}?",
		},
		english: []string{
			"{I can't|can't|cannot|unable to} {log in|login|sign in}[ <esince>]",
			"login keeps failing {with an error|even with the right password|on the app}",
			"the app says {invalid password|wrong password} but {it's|its} correct",
			"{my |}login {isn't|is not|isnt} working",
			"{the sign in|login} button does nothing",
			"is login down? {can't get in|keeps kicking me out}",
		},
	},
	{
		label: "app_down", weight: 200,
		korean: []string{
			"<app>{이|} {안 열려요|안 켜져요|실행이 안 돼요|먹통이에요|먹통임}",
			"<app> {켜자마자|실행하면} {꺼져요|튕겨요|종료돼요}",
			"<since> <app>{이|} {안 돼요|접속이 안 돼요|먹통이네요}",
			"서버 {터졌나요|다운됐나요|장애인가요|죽었어요}?",
			"{화면이|앱 화면이} {하얗게|까맣게} 나오고 {안 넘어가요|멈춰요}",
			"접속{이|} 안 {돼요|됩니다|되는데 장애인가요}",
			"<app> 점검 중인가요? {안 열리네요|계속 로딩중이에요}",
			"{네트워크 오류|일시적인 오류|서버 연결 실패}{라고|} {떠요|나와요|뜨네요}",
			"app이 {안 열려요|crash 나요|계속 꺼져요}",
			"업데이트 {하고 나서|후에|했더니} <app>{이|} 안 {열려요|켜져요}",
			"{홈페이지|사이트|웹}도 {안 들어가져요|접속 안 돼요} 장애 {맞나요|인가요}?",
		},
		english: []string{
			"the app {won't|will not|doesn't|wont} {open|load|start}",
			"app {keeps crashing|crashes on launch|is stuck on the loading screen}",
			"is the {app|server|service|site} down?",
			"{your|the} app has been down <esince>",
			"getting {a network error|a server error|error 503} when I open the app",
			"blank {white|black} screen when I open the app",
		},
	},
	{
		label: "payment_failed", weight: 140,
		korean: []string{
			"결제{가|} {안 돼요|안 됩니다|실패해요|안됨}",
			"<card>{로|} 결제하는데 {오류|에러}{가|} {나요|떠요|납니다}",
			"<store>에서 결제{가|} 안 {됐어요|돼요|되네요}",
			"결제 {버튼 눌러도|진행하면} {넘어가질 않아요|멈춰요|실패라고 떠요}",
			"<amount> 결제{하려는데|하는데} 계속 {실패해요|승인 거절이에요|오류나요}",
			"{간편결제|페이 결제|카드 결제}{가|} {안 되는데|안되는데} 언제 {복구돼요|고쳐져요|되나요}?",
			"주문하려고 하는데 결제 단계에서 {막혀요|오류나요|멈춰요}",
			"payment {error|failed} {떠요|나와요}",
			"<time> 결제 시도했는데 {실패했어요|안 됐어요|오류났어요}",
		},
		english: []string{
			"{my |}payment {failed|didn't go through|keeps failing}",
			"{can't|cannot} pay with <ecard>",
			"payment error at <estore>",
			"tried to pay <eamount> {and it failed|but it was declined}",
			"checkout {is broken|keeps failing|won't complete}",
		},
	},
	{
		label: "double_charge", weight: 100,
		korean: []string{
			"결제가 {두 번|2번|중복으로} {됐어요|되었습니다|됐네요|됨}",
			"<amount>{이|} {두 번|2번} {빠져나갔어요|결제됐어요|청구됐어요}",
			"<time> <store>에서 {한 번|1번} 샀는데 {두 번|2번} 결제됐어요",
			"중복 결제 {됐는데|된 것 같은데} {취소해주세요|환불해주세요|어떻게 하나요}",
			"<card> 문자{가|} {두 번|2번} 왔어요 {중복결제인가요|두번 긁혔어요}",
			"이중 결제{가|} {됐어요|발생했어요} {확인 부탁드려요|빨리 처리해주세요}",
			"<order> {중복 결제|이중결제} {됐습니다|됐어요}",
			"double charge {됐어요|됐는데요}",
			"결제 오류 나서 다시 했더니 {두 번|2번} {빠졌어요|결제됐어요}",
		},
		english: []string{
			"I was charged twice[ for <eamount>]",
			"double charged {on <ecard>|for my order|at <estore>}",
			"{got|received} two charges for one order",
			"you charged me {twice|two times} <etime>",
			"duplicate charge of <eamount>{ please refund| on my card|}",
		},
	},
	{
		label: "refund_when", weight: 120,
		korean: []string{
			"환불{은|} 언제 {돼요|되나요|됩니까|됨}?",
			"<amount> 환불 언제 {들어와요|들어오나요|처리돼요}?",
			"환불 {신청했는데|요청했는데} {아직|여태} {안 들어왔어요|안 들어옴|소식이 없어요}",
			"취소했는데 환불{은|} {며칠|얼마나} 걸려요?",
			"환불 {처리 기간|예정일} {알려주세요|좀 알려주세요}",
			"<time> 취소한 거 환불 {언제 되나요|아직이에요}",
			"{장애|오류} 때문에 결제된 거 환불{해주세요|해 주세요|되나요}?",
			"refund 언제 {돼요|되나요}?",
			"<card>{로|} 결제한 거 {환불|취소} 언제 {반영돼요|들어와요}?",
		},
		english: []string{
			"when will I get my refund?",
			"{where is|what happened to} my refund[ for <eamount>]",
			"how long does a refund take?",
			"I cancelled <etime>, when {do I get|will I get} my money back",
			"refund still not {received|in my account}",
			"when will the refund {be processed|arrive}?",
		},
	},
	{
		label: "balance_check", weight: 80,
		korean: []string{
			"잔액{이|} {안 보여요|조회가 안 돼요|0원으로 나와요}",
			"{포인트|잔액|충전금} 조회{가|} 안 {돼요|됩니다|되네요}",
			"충전한 <amount>{이|} {안 보여요|사라졌어요|반영이 안 됐어요}",
			"잔액{이|} {이상해요|틀려요|맞지 않아요} 확인해주세요",
			"내 {잔액|포인트|충전금} 얼마{인지|} {확인|조회} {가능한가요|되나요}?",
			"잔고{가|} {0원이에요|0으로 떠요|마이너스로 나와요}",
			"balance {확인이 안 돼요|조회 안 됨}",
			"<since> 잔액 {조회|확인}{가|} 안 {돼요|됩니다}",
		},
		english: []string{
			"{can't|cannot} check my balance",
			"my balance shows {zero|$0|the wrong amount}",
			"balance not {showing|updating|loading}",
			"where did my <eamount> top-up go?",
			"how do I check my {balance|points} right now?",
		},
	},
	{
		label: "voucher_rejected", weight: 80,
		korean: []string{
			"<voucher> 사용{이|} 안 {돼요|됩니다|되네요}",
			"<store>에서 <voucher> {안 받아줘요|사용 불가래요|거절당했어요}",
			"<voucher> 바코드{가|} {안 찍혀요|인식이 안 돼요|유효하지 않대요}",
			"<voucher> {등록하려는데|쓰려는데} {오류|에러}{가|} {나요|떠요}",
			"선물받은 <voucher> {못 쓰고 있어요|사용이 안 됨|안 먹혀요}",
			"<voucher> {유효기간 남았는데|기간 안 지났는데} 사용 불가{라고 떠요|로 나와요|}",
			"gift card {사용 안 돼요|안 먹혀요}",
			"<amount>짜리 <voucher> {결제에 안 써져요|적용이 안 돼요}",
		},
		english: []string{
			"my {gift card|voucher|coupon} {isn't|is not} {working|accepted}",
			"<estore> {won't accept|rejected} my {gift card|voucher}",
			"{gift card|voucher} says invalid {but|though} it {hasn't expired|is still valid}",
			"can't redeem my {gift card|voucher|coupon code}",
		},
	},
	{
		label: "otp_not_received", weight: 60,
		korean: []string{
			"인증번호{가|} {안 와요|안 옵니다|안 옴}",
			"<since> 인증 문자{가|} {안 와요|안 들어와요}",
			"본인인증{이|} {안 돼요|안 됩니다} 문자가 안 {와요|옵니다}",
			"{인증번호|인증코드|OTP} {재전송|다시 받기} 눌러도 {안 와요|안 옴}",
			"OTP{가|} {안 와요|안 옴|안 와서 로그인 못 해요}",
			"휴대폰 인증{이|} {안 돼서|안되서} {가입을|결제를|로그인을} 못 하고 있어요",
		},
		english: []string{
			"{I'm not getting|I didn't get|never received} the {verification code|OTP|SMS code}",
			"OTP {not arriving|not received} <esince>",
			"resend code does nothing, {no SMS|still no code}",
		},
	},
}

// tailTopic is a subject of everyday, non-outage questions.
type tailTopic struct{ key, korean, english string }

var tailTopics = []tailTopic{
	{"address", "배송지 변경", "change my delivery address"},
	{"withdraw", "회원 탈퇴", "delete my account"},
	{"password", "비밀번호 변경", "change my password"},
	{"phone", "휴대폰 번호 변경", "change my phone number"},
	{"cash_receipt", "현금영수증 발급", "get a cash receipt"},
	{"tax_invoice", "세금계산서 발행", "get a tax invoice"},
	{"tier", "멤버십 등급 조회", "check my membership tier"},
	{"points_earn", "포인트 적립", "earn points"},
	{"points_gift", "포인트 선물", "gift points to a friend"},
	{"auto_topup", "자동충전 설정", "set up auto top-up"},
	{"card_register", "카드 등록", "register a card"},
	{"bank_link", "계좌 연결", "link a bank account"},
	{"notifications", "알림 해제", "turn off notifications"},
	{"dark_mode", "다크모드 설정", "turn on dark mode"},
	{"language", "언어 변경", "change the app language"},
	{"receipt", "영수증 재발행", "reissue a receipt"},
	{"history", "주문 내역 삭제", "delete my order history"},
	{"group_order", "단체 주문", "place a group order"},
	{"pickup", "매장 픽업", "pick up in store"},
	{"reservation", "예약 변경", "change my reservation"},
	{"gift", "선물 발송", "send a gift"},
	{"nickname", "닉네임 변경", "change my nickname"},
	{"email", "이메일 변경", "change my email"},
	{"new_phone", "기기 변경", "move my account to a new phone"},
	{"overseas", "해외 결제", "pay abroad"},
	{"corporate", "법인카드 등록", "register a corporate card"},
	{"family", "가족 계정 연결", "link a family account"},
	{"invite", "친구 초대", "invite a friend"},
	{"birthday", "생일 쿠폰 수령", "get the birthday coupon"},
	{"update", "앱 업데이트", "update the app"},
	{"privacy", "개인정보 열람", "see my personal data"},
	{"marketing", "마케팅 수신 철회", "opt out of marketing messages"},
	{"lost_card", "분실 카드 정지", "block a lost card"},
	{"extend", "교환권 연장", "extend a voucher"},
	{"parking", "주차 등록", "register for parking"},
	{"store_hours", "영업시간 확인", "check store opening hours"},
}

// tailRequest is what a tail question asks about its topic. In Korean
// patterns {T} is the topic and {T은} {T이} {T을} add the particle that
// fits its last syllable; in English {E} is the topic's verb phrase.
type tailRequest struct {
	key     string
	korean  []string
	english []string
}

var tailRequests = []tailRequest{
	{"how", []string{"{T} 어떻게 {해요|하나요|하면 돼요}?", "{T} 방법 {알려주세요|좀 알려주세요|궁금해요}", "{T을} 하고 싶은데 어떻게 해야 {하나요|돼요}?"},
		[]string{"how do I {E}?", "how can I {E}?", "what's the way to {E}?"}},
	{"where", []string{"{T은} 어디서 {하나요|해요|할 수 있어요}?", "{T} 메뉴{가|} 어디 있어요?", "앱에서 {T} 어디서 해요?"},
		[]string{"where can I {E}?", "where in the app do I {E}?"}},
	{"possible", []string{"{T} 가능한가요?", "{T이} 되나요?", "{T} {가능해요|할 수 있나요}?"},
		[]string{"is it possible to {E}?", "can I {E}?"}},
	{"fee", []string{"{T} 수수료 {있어요|있나요|얼마예요}?", "{T}하면 {돈 들어요|비용 있나요}?"},
		[]string{"is there a fee to {E}?", "does it cost anything to {E}?"}},
	{"duration", []string{"{T} 얼마나 걸려요?", "{T은} 처리 기간이 {어떻게 되나요|얼마나 되나요}?"},
		[]string{"how long does it take to {E}?", "how long until I can {E}?"}},
	{"needs", []string{"{T}하려면 {뭐가 필요해요|뭐 준비해야 돼요|서류 필요한가요}?"},
		[]string{"what do I need to {E}?", "do I need documents to {E}?"}},
	{"hours", []string{"{T} 주말에도 {되나요|가능해요}?", "{T} 밤에도 {되나요|할 수 있어요}?"},
		[]string{"can I {E} on weekends?", "can I {E} at night?"}},
}

// particle picks the form of a Korean particle that fits word's last
// syllable: withFinal after a closing consonant, else withoutFinal.
func particle(word, withFinal, withoutFinal string) string {
	last, _ := utf8.DecodeLastRuneInString(word)
	if last >= 0xAC00 && last <= 0xD7A3 && (last-0xAC00)%28 != 0 {
		return word + withFinal
	}
	return word + withoutFinal
}

// phraseSet is one label's compiled phrasings.
type phraseSet struct {
	label   string
	korean  []template
	english []template
}

func compileAll(patterns []string, expand func(string) string) []template {
	out := make([]template, len(patterns))
	for i, p := range patterns {
		out[i] = compile(expand(p))
	}
	return out
}

var (
	koreanPrefixes = compileAll([]string{
		"안녕하세요 ", "저기요 ", "문의드립니다. ", "(긴급) ", "급해요 ", "상담사님 ", "<store>에서 쓰는데 ",
		"<time> ", "아이폰인데 ", "갤럭시 쓰는데 ", "<order> 관련인데요 ", "hello ", "아니 ",
	}, identity)
	koreanSuffixes = []string{
		"ㅠㅠ", " ㅠㅠ", "ㅠㅠㅠ", "ㅜㅜ", " ㅋㅋ", "ㅋㅋㅋ", "!!!", "??", "...", "!!", "?", ".",
		" 빨리 해결해주세요", " 급합니다", " 확인 부탁드려요", " 어떻게 해요", " please", " ASAP", " 답변 좀요",
	}
	englishPrefixes = compileAll([]string{"hi, ", "hello ", "hey ", "urgent: ", "<etime> ", "<eorder> - ", "help! "}, identity)
	englishSuffixes = []string{"!!!", "??", " asap", " pls help", " :(", "?!", ".", " please fix", " thanks"}
	koreanTypos     = [][2]string{
		{"안 돼요", "안되요"}, {"안돼요", "안되요"}, {"됐어요", "됬어요"}, {"됐는데", "됬는데"}, {"됐네요", "됬네요"},
		{"어떻게", "어케"}, {"결제", "결재"}, {"안 돼서", "안되서"}, {"돼요", "되요"}, {"않아요", "안아요"},
	}
	englishTypos = [][2]string{
		{"can't", "cant"}, {"won't", "wont"}, {"didn't", "didnt"}, {"please", "pls"}, {"receive", "recieve"},
		{"you", "u"}, {"I'm", "im"}, {"payment", "paymnet"}, {"refund", "refun"},
	}
)

func identity(s string) string { return s }

type surgeGenerator struct {
	r           *rand.Rand
	intents     []phraseSet
	cumulative  []int // running weights of intents, in thousandths
	tail        []phraseSet
	tailPicker  *rand.Zipf
	scratch     []byte
	withSpaces  []int
	textScratch []byte
}

func newSurgeGenerator(seed int64, phrasings Phrasings) *surgeGenerator {
	r := rand.New(rand.NewPCG(uint64(seed), 0x5eed5eed))
	g := &surgeGenerator{r: r}
	total := 0
	for _, in := range surgeIntents {
		g.intents = append(g.intents, phraseSet{
			label:   in.label,
			korean:  compileAll(phrasings.pick(in.korean), identity),
			english: compileAll(phrasings.pick(in.english), identity),
		})
		total += in.weight
		g.cumulative = append(g.cumulative, total)
	}
	for _, topic := range tailTopics {
		ko := strings.NewReplacer(
			"{T은}", particle(topic.korean, "은", "는"),
			"{T이}", particle(topic.korean, "이", "가"),
			"{T을}", particle(topic.korean, "을", "를"),
			"{T}", topic.korean,
		).Replace
		en := strings.NewReplacer("{E}", topic.english).Replace
		for _, req := range tailRequests {
			g.tail = append(g.tail, phraseSet{
				label:   "tail_" + topic.key + "_" + req.key,
				korean:  compileAll(req.korean, ko),
				english: compileAll(req.english, en),
			})
		}
	}
	// A seeded shuffle decides which tail questions are common, so that a
	// few recur while most stay rare and keep appearing for the first time.
	r.Shuffle(len(g.tail), func(i, j int) { g.tail[i], g.tail[j] = g.tail[j], g.tail[i] })
	g.tailPicker = rand.NewZipf(r, 1.1, 2, uint64(len(g.tail)-1))
	return g
}

// appendRow appends one "label\ttext\n" line.
func (g *surgeGenerator) appendRow(b []byte) []byte {
	r := g.r
	var set phraseSet
	if r.IntN(100) < 80 {
		n := r.IntN(g.cumulative[len(g.cumulative)-1])
		i := 0
		for g.cumulative[i] <= n {
			i++
		}
		set = g.intents[i]
	} else {
		set = g.tail[g.tailPicker.Uint64()]
	}
	b = append(b, set.label...)
	b = append(b, '\t')
	if r.IntN(100) < 75 {
		return append(g.appendKorean(b, set), '\n')
	}
	return append(g.appendEnglish(b, set), '\n')
}

func (g *surgeGenerator) appendKorean(b []byte, set phraseSet) []byte {
	r := g.r
	text := g.scratch[:0]
	if r.IntN(100) < 15 {
		text = koreanPrefixes[r.IntN(len(koreanPrefixes))].appendTo(r, text)
	}
	text = set.korean[r.IntN(len(set.korean))].appendTo(r, text)
	if r.IntN(100) < 35 {
		text = applyTypos(r, text, koreanTypos)
	}
	if r.IntN(100) < 40 {
		text = append(text, koreanSuffixes[r.IntN(len(koreanSuffixes))]...)
	}
	text = g.vary(text)
	g.scratch = text
	return append(b, bytes.TrimSpace(text)...)
}

func (g *surgeGenerator) appendEnglish(b []byte, set phraseSet) []byte {
	r := g.r
	text := g.scratch[:0]
	if r.IntN(100) < 15 {
		text = englishPrefixes[r.IntN(len(englishPrefixes))].appendTo(r, text)
	}
	start := len(text)
	text = set.english[r.IntN(len(set.english))].appendTo(r, text)
	if r.IntN(100) < 50 && start == 0 && len(text) > 0 && text[0] >= 'a' && text[0] <= 'z' {
		text[0] -= 'a' - 'A'
	}
	if r.IntN(100) < 30 {
		text = applyTypos(r, text, englishTypos)
	}
	if r.IntN(100) < 40 {
		text = append(text, englishSuffixes[r.IntN(len(englishSuffixes))]...)
	}
	if r.IntN(100) < 10 {
		text = append(text, []string{" ㅠㅠ", " 빨리요", " 환불해주세요", " 감사합니다"}[r.IntN(4)]...)
	}
	text = g.vary(text)
	g.scratch = text
	return append(b, bytes.TrimSpace(text)...)
}

// applyTypos makes each common misspelling that fits with probability 1/2.
func applyTypos(r *rand.Rand, text []byte, typos [][2]string) []byte {
	s := string(text)
	for _, t := range typos {
		if strings.Contains(s, t[0]) && r.IntN(2) == 0 {
			s = strings.ReplaceAll(s, t[0], t[1])
		}
	}
	return append(text[:0], s...)
}

// vary perturbs spacing the way hurried chat does: all spaces gone, one
// space dropped, or one space doubled.
func (g *surgeGenerator) vary(text []byte) []byte {
	r := g.r
	roll := r.IntN(100)
	if roll >= 35 {
		return text
	}
	g.withSpaces = g.withSpaces[:0]
	for i, c := range text {
		if c == ' ' {
			g.withSpaces = append(g.withSpaces, i)
		}
	}
	if len(g.withSpaces) == 0 {
		return text
	}
	switch {
	case roll < 8:
		out := g.textScratch[:0]
		for _, c := range text {
			if c != ' ' {
				out = append(out, c)
			}
		}
		g.textScratch = text
		return out
	case roll < 30:
		at := g.withSpaces[r.IntN(len(g.withSpaces))]
		return append(text[:at], text[at+1:]...)
	default:
		at := g.withSpaces[r.IntN(len(g.withSpaces))]
		text = append(text, 0)
		copy(text[at+1:], text[at:])
		return text
	}
}

// GenerateKB writes a knowledge base for the outage intents as a
// label<TAB>example file: perLanguage Korean and perLanguage English
// examples per intent, from the tuning phrasings only and from a random
// stream of their own, as an agent would write them (no greetings, typos
// or noise).
func GenerateKB(w io.Writer, perLanguage int, seed int64) error {
	r := rand.New(rand.NewPCG(uint64(seed), 0xb0b0))
	bw := bufio.NewWriter(w)
	bw.WriteString("label\ttext\n")
	for _, in := range surgeIntents {
		for _, patterns := range [][]string{in.korean, in.english} {
			ts := compileAll(TuningPhrasings.pick(patterns), identity)
			for i := range perLanguage {
				text := ts[(i*7+r.IntN(len(ts)))%len(ts)].appendTo(r, nil)
				fmt.Fprintf(bw, "%s\t%s\n", in.label, bytes.TrimSpace(text))
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("eval: unable to write knowledge base: %w", err)
	}
	return nil
}
