package storage_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"testing"

	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

// BenchmarkStoreInquiries stores batches of 256 (the worker's default)
// spread over 97 clusters, as surge traffic with its long tail is; ns/op is
// per inquiry. PostgreSQL runs when its variable is set.
func BenchmarkStoreInquiries(b *testing.B) {
	for dialect, url := range storagetest.URLs(b) {
		b.Run(dialect, func(b *testing.B) {
			ctx := context.Background()
			s, err := storage.Open(ctx, url, 4)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			const size = 256
			batch := make([]storage.Inquiry, size)
			b.ResetTimer()
			for i := 0; i < b.N; i += size {
				clusters := make([]storage.Cluster, 0, 97)
				for j := range batch {
					batch[j] = inquiry(fmt.Sprintf("id-%09d", i+j), fmt.Sprintf("k-%09d", i+j), "앱 접속이 안 돼요 결제도 안되고 환불은 언제 되나요")
					batch[j].ClusterID = fmt.Sprintf("cl-%02d", (i+j)%97)
					if j < 97 {
						clusters = append(clusters, storage.Cluster{ID: batch[j].ClusterID, Representative: batch[j].Text, Label: []string{"접속"}})
					}
				}
				if _, err := s.StoreInquiries(ctx, batch[:min(size, b.N-i)], clusters); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStoreSurge stores what a surge looks like to the store worker:
// ids are hashes (random B-tree positions, as intake's are), 1,000
// customers, 97 clusters, in batches of 256, 1,000 and 4,000 (the
// default workers.batch_size); ns/op is per inquiry, over a table that
// grows to b.N rows. Run with -benchtime=200000x to see a table of a
// surge's size.
func BenchmarkStoreSurge(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		for _, size := range []int{256, 1000, 4000} {
			b.Run(fmt.Sprintf("%s/batch=%d", dialect, size), func(b *testing.B) {
				url := storagetest.SQLite(b) // a new database each time: ids repeat
				if dialect == "postgres" {
					url = storagetest.Postgres(b)
				}
				ctx := context.Background()
				s, err := storage.Open(ctx, url, 4)
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				if _, err := s.Migrate(ctx); err != nil {
					b.Fatal(err)
				}
				batch := make([]storage.Inquiry, size)
				b.ResetTimer()
				for i := 0; i < b.N; i += size {
					b.StopTimer()
					clusters := make([]storage.Cluster, 0, 97)
					for j := range batch {
						n := i + j
						sum := sha256.Sum256([]byte(strconv.Itoa(n)))
						batch[j] = inquiry("iq_"+hex.EncodeToString(sum[:12]), "lg-"+strconv.Itoa(n), "앱 접속이 안 돼요 결제도 안되고 환불은 언제 되나요")
						batch[j].CustomerID = "cust-" + strconv.Itoa(int(sum[13])<<2|int(sum[14])&3)
						batch[j].ClusterID = fmt.Sprintf("cl-%02d", int(sum[15])%97)
						batch[j].ReceivedAt += int64(n)
						if j < 97 {
							clusters = append(clusters, storage.Cluster{ID: fmt.Sprintf("cl-%02d", j), Representative: batch[j].Text, Label: []string{"접속"}})
						}
					}
					b.StartTimer()
					if _, err := s.StoreInquiries(ctx, batch[:min(size, b.N-i)], clusters); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
