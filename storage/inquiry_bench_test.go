package storage_test

import (
	"context"
	"fmt"
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
