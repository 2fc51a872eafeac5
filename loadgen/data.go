package loadgen

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// tsvHeader is the exact first line that marks a labelled data file.
const tsvHeader = "label\ttext"

// DefaultTexts is a small mix of Korean and English outage inquiries, used
// when no data file is given.
var DefaultTexts = []string{
	"결제가 안 돼요. 카드 승인 오류가 계속 나요.",
	"앱이 접속이 안 됩니다. 로그인하면 계속 튕겨요.",
	"주문했는데 결제 완료 화면이 안 떠요. 돈은 빠져나갔어요.",
	"서비스 장애인가요? 페이지가 안 열려요.",
	"배송 조회가 안 돼요. 오류 코드 503이 나옵니다.",
	"송금했는데 상대방이 못 받았대요. 확인 부탁드립니다.",
	"I can't log in, the app keeps crashing after the update.",
	"Payment failed but my card was charged. Is there an outage?",
	"The website shows a 503 error. Is the service down?",
	"My order confirmation never arrived and checkout is stuck.",
	"Transfers are failing with an unknown error since this morning.",
	"Is anyone else seeing timeouts? Nothing loads for me.",
}

// ReadTexts reads inquiry texts from a file; see ParseTexts for the format.
func ReadTexts(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("loadgen: unable to read data: %w", err)
	}
	defer f.Close()
	texts, err := ParseTexts(f)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return texts, nil
}

// ParseTexts reads either a TSV whose first line is exactly "label\ttext"
// (each row split on its first tab, the text kept) or one text per line.
// Empty lines are skipped; a TSV row without a tab or text is an error so a
// malformed file is not silently sent as labels.
func ParseTexts(r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	var texts []string
	tsv := false
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
			if line == tsvHeader {
				tsv = true
				continue
			}
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		if !tsv {
			texts = append(texts, line)
			continue
		}
		_, text, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("loadgen: data line %d: no tab between label and text", n)
		}
		if strings.TrimSpace(text) == "" {
			return nil, fmt.Errorf("loadgen: data line %d: empty text", n)
		}
		texts = append(texts, text)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("loadgen: unable to read data: %w", err)
	}
	if len(texts) == 0 {
		return nil, errors.New("loadgen: data holds no texts")
	}
	return texts, nil
}
