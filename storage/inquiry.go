package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/surgedesk/surgedesk/triage"
)

// Inquiry states.
const (
	StateStored   = "stored"
	StateAnswered = "answered" // answered automatically at intake
)

// Inquiry is one customer inquiry as stored. Text is already redacted.
type Inquiry struct {
	ID             string `db:"id"`
	Source         string `db:"source"`
	CustomerID     string `db:"customer_id"`
	IdempotencyKey string `db:"idempotency_key"`
	Text           string `db:"text"`
	Locale         string `db:"locale"`
	ReplyURL       string `db:"reply_url"`
	Metadata       string `db:"metadata"`   // a JSON object
	Redactions     string `db:"redactions"` // kinds of secrets removed, comma-separated
	State          string `db:"state"`
	ReceivedAt     int64  `db:"received_at"` // unix milliseconds, at intake
	StoredAt       int64  `db:"stored_at"`   // unix milliseconds
	StreamSeq      uint64 `db:"stream_seq"`  // JetStream sequence it arrived with
	ClusterID      string `db:"cluster_id"`  // empty until clustered
	MergedFrom     string `db:"merged_from"` // the cluster it was in before an agent's merge
	// The instant answer given at intake, if any.
	AnswerID      string `db:"answer_id"`
	IncidentID    string `db:"incident_id"`
	UpdateVersion int64  `db:"update_version"`
	// AnswerText is the answer as given; it travels on to reply_url and is
	// not stored with the inquiry.
	AnswerText string `db:"-"`
	// ProblemID is the problem its cluster was placed in when it was
	// stored (announced to the other instances; not a column).
	ProblemID string `db:"-"`
	// Urgent marks a text that mentions money, fraud, hacking or privacy
	// (triage.Urgent, set by the ingest worker); its cluster becomes
	// urgent when it is stored. Not a column.
	Urgent bool `db:"-"`
}

// CustomerKey identifies a customer across sources: the same id on two
// channels is two customers.
func (in Inquiry) CustomerKey() string { return in.Source + ":" + in.CustomerID }

// Item is the clusterer's view of a stored inquiry. Customers are keyed by
// source too: the same id on two channels is two people.
func (in Inquiry) Item() triage.Item {
	return triage.Item{ID: in.ID, CustomerID: in.CustomerKey(), Text: in.Text, At: time.UnixMilli(in.ReceivedAt)}
}

const inquiryColumns = `id, source, customer_id, COALESCE(idempotency_key, '') AS idempotency_key, text, locale,
	reply_url, metadata, redactions, state, received_at, stored_at, stream_seq, COALESCE(cluster_id, '') AS cluster_id,
	COALESCE(answer_id, '') AS answer_id, COALESCE(incident_id, '') AS incident_id, COALESCE(update_version, 0) AS update_version,
	COALESCE(merged_from, '') AS merged_from`

// StoreInquiries inserts the batch in one transaction, together with the
// clusters its rows were assigned to. A row whose id or (source,
// idempotency key) is already stored is skipped, so a redelivered message
// stores nothing twice and counts nothing twice. clusters carries what the
// clusterer knows (representative, label) of every cluster in the batch;
// the counts are kept here, by increments, so that several instances
// storing at once stay exact. A row assigned to a cluster an agent merged
// away (by an instance that had not heard of the merge yet) is stored in,
// and its ClusterID in batch set to, the cluster it was merged into. It
// returns the ids of the rows that were new.
func (s *Storage) StoreInquiries(ctx context.Context, batch []Inquiry, clusters []Cluster) (map[string]bool, error) {
	if len(batch) == 0 {
		return nil, nil
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to begin transaction: %w", err)
	}
	defer tx.Rollback()
	if err := redirectMerged(ctx, tx, batch, s.postgres); err != nil {
		return nil, err
	}
	inserted, err := s.insertInquiries(ctx, tx, batch)
	if err != nil {
		return nil, err
	}
	if err := s.countInClusters(ctx, tx, batch, inserted, clusters); err != nil {
		return nil, err
	}
	var placements []Placement
	for _, c := range clusters {
		if c.Placement != nil && c.Placement.ID != "" {
			placements = append(placements, Placement{ClusterID: c.ID, Problem: *c.Placement})
		}
	}
	if err := placeClusters(ctx, tx, placements, time.Now().UnixMilli()); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("storage: unable to commit inquiries: %w", err)
	}
	return inserted, nil
}

// maxStatementRows bounds the rows of one multi-row statement, so that its
// parameters (17 a row at most) stay under SQLite's 32,766 and
// PostgreSQL's 65,535 however large a batch is. A larger batch takes
// several statements in one transaction, each in the same sorted order.
const maxStatementRows = 1000

const insertColumns = `id, source, customer_id, idempotency_key, text, locale,
	reply_url, metadata, redactions, state, received_at, stored_at, stream_seq, cluster_id, answer_id, incident_id, update_version`

const insertValues = `(?, ?, ?, NULLIF(?, ''), ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, 0))`

const insertInquiry = `INSERT INTO inquiries (` + insertColumns + `) VALUES ` + insertValues + ` ON CONFLICT DO NOTHING`

func (in Inquiry) insertArgs() []any {
	return []any{in.ID, in.Source, in.CustomerID, in.IdempotencyKey, in.Text, in.Locale,
		in.ReplyURL, in.Metadata, in.Redactions, in.State, in.ReceivedAt, in.StoredAt, int64(in.StreamSeq), in.ClusterID,
		in.AnswerID, in.IncidentID, in.UpdateVersion}
}

// insertInquiries returns the ids actually inserted. SQLite is in-process,
// so one prepared row insert run per row beats parsing a statement with
// thousands of parameters; PostgreSQL gets one multi-row statement, one
// round trip.
func (s *Storage) insertInquiries(ctx context.Context, tx *sqlx.Tx, batch []Inquiry) (map[string]bool, error) {
	if !s.postgres {
		return s.insertInquiriesOneByOne(ctx, tx, batch)
	}
	// Rows in id order, so that concurrent batches lock in one order.
	batch = slices.SortedFunc(slices.Values(batch), func(a, b Inquiry) int { return strings.Compare(a.ID, b.ID) })
	inserted := make(map[string]bool, len(batch))
	var q strings.Builder
	for rows := range slices.Chunk(batch, maxStatementRows) {
		q.Reset()
		q.WriteString(`INSERT INTO inquiries (` + insertColumns + `) VALUES `)
		args := make([]any, 0, len(rows)*17)
		for i, in := range rows {
			if i > 0 {
				q.WriteString(",")
			}
			q.WriteString(insertValues)
			args = append(args, in.insertArgs()...)
		}
		q.WriteString(" ON CONFLICT DO NOTHING RETURNING id")
		var ids []string
		if err := tx.SelectContext(ctx, &ids, tx.Rebind(q.String()), args...); err != nil {
			return nil, fmt.Errorf("storage: unable to store inquiries: %w", err)
		}
		for _, id := range ids {
			inserted[id] = true
		}
	}
	return inserted, nil
}

func (s *Storage) insertInquiriesOneByOne(ctx context.Context, tx *sqlx.Tx, batch []Inquiry) (map[string]bool, error) {
	stmt, err := tx.PrepareContext(ctx, insertInquiry)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to prepare insert: %w", err)
	}
	defer stmt.Close()
	inserted := make(map[string]bool, len(batch))
	for _, in := range batch {
		res, err := stmt.ExecContext(ctx, in.insertArgs()...)
		if err != nil {
			return nil, fmt.Errorf("storage: unable to store inquiry %s: %w", in.ID, err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 1 {
			inserted[in.ID] = true
		}
	}
	return inserted, nil
}

// Inquiry returns one inquiry by id.
func (s *Storage) Inquiry(ctx context.Context, id string) (Inquiry, error) {
	var in Inquiry
	err := s.db.GetContext(ctx, &in, s.db.Rebind(`SELECT `+inquiryColumns+` FROM inquiries WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return Inquiry{}, ErrNotFound
	}
	if err != nil {
		return Inquiry{}, fmt.Errorf("storage: unable to load inquiry %s: %w", id, err)
	}
	return in, nil
}

// InquiryCount returns how many inquiries are stored.
func (s *Storage) InquiryCount(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM inquiries`); err != nil {
		return 0, fmt.Errorf("storage: unable to count inquiries: %w", err)
	}
	return n, nil
}

// StoredIDs returns which of ids are already stored.
func (s *Storage) StoredIDs(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	q, args, err := sqlx.In(`SELECT id FROM inquiries WHERE id IN (?)`, ids)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	var found []string
	if err := s.db.SelectContext(ctx, &found, s.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("storage: unable to look up stored inquiries: %w", err)
	}
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}

// InquiryCounts returns how many inquiries are stored, and how many of
// them arrived with a stream sequence in (after, upTo], in one snapshot.
func (s *Storage) InquiryCounts(ctx context.Context, after, upTo uint64) (total, between int64, err error) {
	row := struct {
		Total   int64 `db:"total"`
		Between int64 `db:"in_window"`
	}{}
	// One statement, one snapshot; the window is a range of the stream_seq
	// index, and the total a count the database does without reading rows.
	q := `SELECT (SELECT COUNT(*) FROM inquiries) AS total,
		(SELECT COUNT(*) FROM inquiries WHERE stream_seq > ? AND stream_seq <= ?) AS in_window`
	if err := s.db.GetContext(ctx, &row, s.db.Rebind(q), int64(after), int64(upTo)); err != nil {
		return 0, 0, fmt.Errorf("storage: unable to count inquiries: %w", err)
	}
	return row.Total, row.Between, nil
}
