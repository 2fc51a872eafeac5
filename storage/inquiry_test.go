package storage_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

func inquiry(id, key, text string) storage.Inquiry {
	return storage.Inquiry{ID: id, Source: "web", CustomerID: "c-" + id, IdempotencyKey: key, Text: text,
		Locale: "ko", Metadata: `{"order":"A-1"}`, Redactions: "card", State: storage.StateStored,
		ReceivedAt: 1_700_000_000_000, StoredAt: 1_700_000_000_100, StreamSeq: 7}
}

func TestInquiries(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)

			batch := []storage.Inquiry{inquiry("a", "k1", "앱 접속이 안 돼요"), inquiry("b", "", "환불 언제 되나요"), inquiry("c", "", "app won't open")}
			n, err := s.StoreInquiries(ctx, batch, nil)
			if err != nil || len(n) != 3 {
				t.Fatalf("first store = %v, %v; want 3 ids", n, err)
			}
			// A redelivered batch, plus one new row and one with the same
			// (source, key) under another id: only the new row is stored.
			again := append(batch, inquiry("d", "", "new"), inquiry("e", "k1", "same key, other id"))
			n, err = s.StoreInquiries(ctx, again, nil)
			if err != nil || len(n) != 1 || !n["d"] {
				t.Fatalf("redelivered store = %v, %v; want only d", n, err)
			}
			count, err := s.InquiryCount(ctx)
			if err != nil || count != 4 {
				t.Fatalf("count = %d, %v; want 4", count, err)
			}
			got, err := s.Inquiry(ctx, "a")
			if err != nil {
				t.Fatal(err)
			}
			want := batch[0]
			if got.Text != want.Text || got.IdempotencyKey != "k1" || got.Redactions != "card" || got.StreamSeq != 7 ||
				got.ReceivedAt != want.ReceivedAt || got.CustomerID != "c-a" {
				t.Errorf("Inquiry(a) = %+v, want %+v", got, want)
			}
			var meta map[string]any
			if err := jsonUnmarshal(got.Metadata, &meta); err != nil || meta["order"] != "A-1" {
				t.Errorf("metadata = %q (%v)", got.Metadata, err)
			}
			if b, _ := s.Inquiry(ctx, "b"); b.IdempotencyKey != "" {
				t.Errorf("inquiry without key came back with key %q", b.IdempotencyKey)
			}
			if _, err := s.Inquiry(ctx, "missing"); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("Inquiry(missing) err = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestStoreManyInquiries(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			batch := make([]storage.Inquiry, 1000)
			for i := range batch {
				batch[i] = inquiry(fmt.Sprintf("id-%04d", i), fmt.Sprintf("key-%04d", i), "접속 안됩니다")
			}
			if n, err := s.StoreInquiries(ctx, batch, nil); err != nil || len(n) != len(batch) {
				t.Fatalf("store = %d, %v", len(n), err)
			}
			if c, _ := s.InquiryCount(ctx); c != int64(len(batch)) {
				t.Fatalf("count = %d", c)
			}
		})
	}
}

// A batch larger than one statement may hold (4,500 rows, each in a
// cluster and a problem of its own: 9 parameters a cluster and 17 a row
// would pass SQLite's and PostgreSQL's limits in one statement) is stored
// whole, in one transaction, and counted exactly; stored again, nothing
// is new.
func TestStoreBatchLargerThanAStatement(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			const n = 4500
			batch := make([]storage.Inquiry, n)
			clusters := make([]storage.Cluster, n)
			for i := range batch {
				batch[i] = inquiry(fmt.Sprintf("id-%05d", i), fmt.Sprintf("key-%05d", i), "접속 안됩니다")
				batch[i].ClusterID = fmt.Sprintf("cl-%05d", i)
				batch[i].ReceivedAt += int64(i)
				clusters[i] = storage.Cluster{ID: batch[i].ClusterID, Representative: batch[i].Text, Label: []string{"접속"},
					Placement: &storage.Problem{ID: fmt.Sprintf("pr-%05d", i), Title: batch[i].Text, TitleLang: "ko"}}
			}
			if n, err := s.StoreInquiries(ctx, batch, clusters); err != nil || len(n) != len(batch) {
				t.Fatalf("store = %d new, %v; want %d", len(n), err, len(batch))
			}
			if c, err := s.InquiryCount(ctx); err != nil || c != n {
				t.Fatalf("count = %d, %v; want %d", c, err, n)
			}
			for _, i := range []int{0, 999, 1000, 3999, n - 1} {
				c, err := s.Cluster(ctx, clusters[i].ID)
				if err != nil || c.Inquiries != 1 || c.Customers != 1 || c.ProblemID != clusters[i].Placement.ID {
					t.Errorf("cluster %d = %+v, %v; want 1 inquiry, 1 customer, in %s", i, c, err, clusters[i].Placement.ID)
				}
			}
			if open, err := s.OpenProblems(ctx, 0); err != nil || open != n {
				t.Errorf("open problems = %d, %v; want %d", open, err, n)
			}
			if again, err := s.StoreInquiries(ctx, batch, clusters); err != nil || len(again) != 0 {
				t.Fatalf("stored again = %d new, %v; want none", len(again), err)
			}
			if c, _ := s.Cluster(ctx, clusters[n-1].ID); c.Inquiries != 1 || c.Customers != 1 {
				t.Errorf("after the redelivery cluster %+v, want its counts unchanged", c)
			}
		})
	}
}

func TestMigrateTwice(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			storagetest.Open(t, url)
			s := storagetest.Open(t, url)
			applied, err := s.Migrate(context.Background())
			if err != nil || len(applied) != 0 {
				t.Fatalf("second migrate applied %v, %v; want nothing", applied, err)
			}
		})
	}
}

func TestOpenRejectsUnknownURL(t *testing.T) {
	t.Parallel()
	if _, err := storage.Open(context.Background(), "mysql://x", 1); err == nil {
		t.Fatal("Open(mysql://) succeeded")
	}
}

func TestStoredIDs(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			if _, err := s.StoreInquiries(ctx, []storage.Inquiry{inquiry("a", "", "x"), inquiry("b", "", "y")}, nil); err != nil {
				t.Fatal(err)
			}
			got, err := s.StoredIDs(ctx, []string{"a", "zz", "b"})
			if err != nil || len(got) != 2 || !got["a"] || !got["b"] {
				t.Errorf("StoredIDs = %v, %v; want a and b", got, err)
			}
			if none, err := s.StoredIDs(ctx, nil); err != nil || len(none) != 0 {
				t.Errorf("StoredIDs(nil) = %v, %v", none, err)
			}
		})
	}
}
