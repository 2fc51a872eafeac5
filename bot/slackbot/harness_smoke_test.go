package slackbot

import (
	"net/http"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/bot/slackbot/slackfake"
	"github.com/surgedesk/surgedesk/storage"
)

// TestDeliveryReachesThread checks the harness end to end for the path
// every Slack reply takes: a queued delivery with a slack: address is
// posted in that thread by the delivery worker, once.
func TestDeliveryReachesThread(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.fake.Fail("chat.postMessage", slackfakeServerError())
	if _, err := h.db.EnqueueDeliveries(h.ctx, []storage.Delivery{{Kind: storage.KindAnswer, InquiryID: "iq_1",
		CustomerKey: "slack:" + testCustomer, URL: ReplyURL(testSupport, "1700000000.000100"), Source: Source,
		Locale: "ko", Text: "안녕하세요, 복구 중입니다"}}); err != nil {
		t.Fatal(err)
	}
	h.deliver.Kick()
	calls := h.fake.WaitCalls(t, "chat.postMessage", 1, 10*time.Second)
	if got := calls[len(calls)-1].Form; got.Get("thread_ts") != "1700000000.000100" || got.Get("text") != "안녕하세요, 복구 중입니다" {
		t.Fatalf("Slack received %v", got)
	}
	h.waitFor("the delivery to be marked delivered", func() bool {
		ds, err := h.db.DeliveriesByInquiry(h.ctx, "iq_1")
		return err == nil && len(ds) == 1 && ds[0].Status == storage.DeliveryDelivered && ds[0].Attempts == 2
	})
	if n := len(h.fake.Calls("chat.postMessage")); n != 2 {
		t.Fatalf("Slack received %d posts, want the failed one and one retry", n)
	}
}

func slackfakeServerError() slackfake.Failure {
	return slackfake.Failure{Status: http.StatusInternalServerError}
}
