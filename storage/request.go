package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// requestPrefix names the leases that record a signed request's identity.
const requestPrefix = "request:"

// FirstRequest records a signed request's identity (such as a Slack
// command's trigger_id) for ttl and reports whether it is its first time:
// a replay within ttl, on any instance, gets false. It is a lease on the
// identity under a fresh owner, so that only the first can take it;
// expired ones are swept on the way.
func (s *Storage) FirstRequest(ctx context.Context, id string, now time.Time, ttl time.Duration) (bool, error) {
	var owner [12]byte
	_, _ = rand.Read(owner[:])
	first, err := s.AcquireLease(ctx, requestPrefix+id, hex.EncodeToString(owner[:]), now, ttl)
	if err != nil {
		return false, err
	}
	if first {
		// Only when one is added: a burst of replays sweeps nothing.
		q := `DELETE FROM leases WHERE name LIKE ? AND expires_at < ?`
		if _, err := s.db.ExecContext(ctx, s.db.Rebind(q), requestPrefix+"%", now.Add(-ttl).UnixMilli()); err != nil {
			return true, fmt.Errorf("storage: unable to sweep request leases: %w", err)
		}
	}
	return first, nil
}
