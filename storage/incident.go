package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/surgedesk/surgedesk/kb"
)

type incidentRow struct {
	ID         string        `db:"id"`
	TitleKO    string        `db:"title_ko"`
	TitleEN    string        `db:"title_en"`
	Status     string        `db:"status"`
	Components string        `db:"components"` // a JSON list
	Severity   string        `db:"severity"`
	StartedAt  int64         `db:"started_at"`
	ResolvedAt sql.NullInt64 `db:"resolved_at"`
	CreatedAt  int64         `db:"created_at"`
	UpdatedAt  int64         `db:"updated_at"`
}

const incidentColumns = `id, title_ko, title_en, status, components, severity, started_at, resolved_at, created_at, updated_at`

func (r incidentRow) incident() kb.Incident {
	inc := kb.Incident{ID: r.ID, TitleKO: r.TitleKO, TitleEN: r.TitleEN, Status: kb.Status(r.Status),
		Severity: kb.Severity(r.Severity), StartedAt: fromMS(r.StartedAt), CreatedAt: fromMS(r.CreatedAt),
		UpdatedAt: fromMS(r.UpdatedAt)}
	_ = json.Unmarshal([]byte(r.Components), &inc.Components)
	if r.ResolvedAt.Valid {
		inc.ResolvedAt = fromMS(r.ResolvedAt.Int64)
	}
	return inc
}

type updateRow struct {
	IncidentID   string        `db:"incident_id"`
	Version      int           `db:"version"`
	Status       string        `db:"status"`
	TextKO       string        `db:"text_ko"`
	TextEN       string        `db:"text_en"`
	ETA          sql.NullInt64 `db:"eta"`
	WorkaroundKO string        `db:"workaround_ko"`
	WorkaroundEN string        `db:"workaround_en"`
	CreatedAt    int64         `db:"created_at"`
	Author       string        `db:"author"`
}

const updateColumns = `incident_id, version, status, text_ko, text_en, eta, workaround_ko, workaround_en, created_at, author`

func (r updateRow) update() kb.Update {
	u := kb.Update{Version: r.Version, Status: kb.Status(r.Status), TextKO: r.TextKO, TextEN: r.TextEN,
		WorkaroundKO: r.WorkaroundKO, WorkaroundEN: r.WorkaroundEN, CreatedAt: fromMS(r.CreatedAt), Author: r.Author}
	if r.ETA.Valid {
		u.ETA = fromMS(r.ETA.Int64)
	}
	return u
}

// CreateIncident declares an incident. An empty ID gets a generated one,
// an empty status is investigating, a zero StartedAt is now. Updates are
// added afterwards with AddIncidentUpdate, which numbers them.
func (s *Storage) CreateIncident(ctx context.Context, actor string, inc kb.Incident) (kb.Incident, error) {
	if len(inc.Updates) > 0 {
		return kb.Incident{}, fmt.Errorf("storage: %w: a new incident carries no updates; add them with AddIncidentUpdate", kb.ErrInvalid)
	}
	inc, err := newIncident(inc, time.Now())
	if err != nil {
		return kb.Incident{}, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return kb.Incident{}, fmt.Errorf("storage: unable to begin transaction: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO incidents (`+incidentColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`), incidentArgs(inc)...)
	if err != nil {
		return kb.Incident{}, fmt.Errorf("storage: unable to create incident %s: %w", inc.ID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return kb.Incident{}, fmt.Errorf("storage: incident %s: %w", inc.ID, ErrExists)
	}
	if err := addAudit(ctx, tx, actor, "incident.create", "incident:"+inc.ID, inc); err != nil {
		return kb.Incident{}, err
	}
	if err := tx.Commit(); err != nil {
		return kb.Incident{}, fmt.Errorf("storage: unable to commit incident %s: %w", inc.ID, err)
	}
	return inc, nil
}

func incidentArgs(inc kb.Incident) []any {
	return []any{inc.ID, inc.TitleKO, inc.TitleEN, string(inc.Status), jsonList(inc.Components), string(inc.Severity),
		ms(inc.StartedAt), nullMS(inc.ResolvedAt), ms(inc.CreatedAt), ms(inc.UpdatedAt)}
}

// Incident returns one incident with its updates, oldest first, read
// together so that its status is that of its latest update.
func (s *Storage) Incident(ctx context.Context, id string) (kb.Incident, error) {
	tx, err := s.snapshot(ctx)
	if err != nil {
		return kb.Incident{}, err
	}
	defer tx.Rollback()
	var r incidentRow
	err = tx.GetContext(ctx, &r, tx.Rebind(`SELECT `+incidentColumns+` FROM incidents WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return kb.Incident{}, ErrNotFound
	}
	if err != nil {
		return kb.Incident{}, fmt.Errorf("storage: unable to load incident %s: %w", id, err)
	}
	inc := r.incident()
	if inc.Updates, err = s.updates(ctx, tx, id); err != nil {
		return kb.Incident{}, err
	}
	return inc, nil
}

// Incidents returns the incidents, newest first, each with its updates;
// activeOnly leaves out the resolved ones.
func (s *Storage) Incidents(ctx context.Context, activeOnly bool) ([]kb.Incident, error) {
	tx, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	incs, err := s.incidents(ctx, tx, activeOnly)
	if err != nil {
		return nil, err
	}
	// Incidents are few; each with its updates, read in the same snapshot.
	for i := range incs {
		if incs[i].Updates, err = s.updates(ctx, tx, incs[i].ID); err != nil {
			return nil, err
		}
	}
	return incs, nil
}

func (s *Storage) incidents(ctx context.Context, q sqlx.QueryerContext, activeOnly bool) ([]kb.Incident, error) {
	query := `SELECT ` + incidentColumns + ` FROM incidents`
	if activeOnly {
		query += ` WHERE status <> 'resolved'`
	}
	query += ` ORDER BY started_at DESC, id`
	var rows []incidentRow
	if err := sqlx.SelectContext(ctx, q, &rows, query); err != nil {
		return nil, fmt.Errorf("storage: unable to load incidents: %w", err)
	}
	incs := make([]kb.Incident, len(rows))
	for i, r := range rows {
		incs[i] = r.incident()
	}
	return incs, nil
}

// snapshot begins a read-only transaction so that what is read in several
// statements belongs together. On SQLite it is a deferred transaction (a
// WAL snapshot, no write lock).
func (s *Storage) snapshot(ctx context.Context) (*sqlx.Tx, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.db.BeginTxx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to begin transaction: %w", err)
	}
	return tx, nil
}

// IncidentUpdates returns the incident's updates, oldest first.
func (s *Storage) IncidentUpdates(ctx context.Context, id string) ([]kb.Update, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT COUNT(*) FROM incidents WHERE id = ?`), id); err != nil {
		return nil, fmt.Errorf("storage: unable to load incident %s: %w", id, err)
	}
	if n == 0 {
		return nil, ErrNotFound
	}
	return s.updates(ctx, s.db, id)
}

func (s *Storage) updates(ctx context.Context, q sqlx.QueryerContext, id string) ([]kb.Update, error) {
	var rows []updateRow
	if err := sqlx.SelectContext(ctx, q, &rows, s.db.Rebind(`SELECT `+updateColumns+` FROM incident_updates
		WHERE incident_id = ? ORDER BY version`), id); err != nil {
		return nil, fmt.Errorf("storage: unable to load updates of incident %s: %w", id, err)
	}
	updates := make([]kb.Update, len(rows))
	for i, r := range rows {
		updates[i] = r.update()
	}
	return updates, nil
}

// AddIncidentUpdate appends an update to the incident in one transaction:
// it takes the next version, moves the incident to the update's status if
// the lifecycle allows it (kb.Status.CanMoveTo), sets resolved_at when
// resolved, and audits. When anything is wrong nothing changes. A zero
// CreatedAt is now; an empty Author is the actor.
func (s *Storage) AddIncidentUpdate(ctx context.Context, actor, incidentID string, u kb.Update) (kb.Update, error) {
	if u.CreatedAt.IsZero() {
		u.CreatedAt = time.Now().UTC().Truncate(time.Millisecond)
	}
	if u.Author == "" {
		u.Author = actor
	}
	u.Version = 0
	if err := u.Validate(); err != nil {
		return kb.Update{}, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return kb.Update{}, fmt.Errorf("storage: unable to begin transaction: %w", err)
	}
	defer tx.Rollback()
	// FOR UPDATE serialises concurrent updates of one incident on
	// PostgreSQL; SQLite's immediate transactions already do.
	lock := ""
	if s.postgres {
		lock = " FOR UPDATE"
	}
	var status string
	err = tx.GetContext(ctx, &status, tx.Rebind(`SELECT status FROM incidents WHERE id = ?`+lock), incidentID)
	if errors.Is(err, sql.ErrNoRows) {
		return kb.Update{}, fmt.Errorf("storage: incident %s: %w", incidentID, ErrNotFound)
	}
	if err != nil {
		return kb.Update{}, fmt.Errorf("storage: unable to load incident %s: %w", incidentID, err)
	}
	if err := kb.Status(status).CanMoveTo(u.Status); err != nil {
		return kb.Update{}, fmt.Errorf("storage: incident %s: %w", incidentID, err)
	}
	if err := tx.GetContext(ctx, &u.Version, tx.Rebind(`SELECT COALESCE(MAX(version), 0) + 1 FROM incident_updates WHERE incident_id = ?`), incidentID); err != nil {
		return kb.Update{}, fmt.Errorf("storage: unable to number the update of incident %s: %w", incidentID, err)
	}
	if err := upsertUpdate(ctx, tx, incidentID, u); err != nil {
		return kb.Update{}, err
	}
	resolved := sql.NullInt64{}
	if u.Status == kb.Resolved {
		resolved = sql.NullInt64{Int64: ms(u.CreatedAt), Valid: true}
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE incidents SET status = ?, resolved_at = ?, updated_at = ? WHERE id = ?`),
		string(u.Status), resolved, time.Now().UnixMilli(), incidentID); err != nil {
		return kb.Update{}, fmt.Errorf("storage: unable to move incident %s to %s: %w", incidentID, u.Status, err)
	}
	action := "incident.update"
	if u.Status == kb.Resolved {
		action = "incident.resolve"
	}
	if err := addAudit(ctx, tx, actor, action, "incident:"+incidentID, u); err != nil {
		return kb.Update{}, err
	}
	// Its follow-ups are owed from the commit on (FollowUpsQueued clears it).
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO followup_outbox (incident_id, version, created_at) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`), incidentID, u.Version, time.Now().UnixMilli()); err != nil {
		return kb.Update{}, fmt.Errorf("storage: unable to record the follow-ups of incident %s: %w", incidentID, err)
	}
	if err := tx.Commit(); err != nil {
		return kb.Update{}, fmt.Errorf("storage: unable to commit the update of incident %s: %w", incidentID, err)
	}
	return u, nil
}

func upsertUpdate(ctx context.Context, tx *sqlx.Tx, incidentID string, u kb.Update) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO incident_updates (`+updateColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (incident_id, version) DO UPDATE SET status = excluded.status, text_ko = excluded.text_ko,
			text_en = excluded.text_en, eta = excluded.eta, workaround_ko = excluded.workaround_ko,
			workaround_en = excluded.workaround_en, created_at = excluded.created_at, author = excluded.author`),
		incidentID, u.Version, string(u.Status), u.TextKO, u.TextEN, nullMS(u.ETA), u.WorkaroundKO, u.WorkaroundEN,
		ms(u.CreatedAt), u.Author)
	if err != nil {
		return fmt.Errorf("storage: unable to store update %d of incident %s: %w", u.Version, incidentID, err)
	}
	return nil
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func nullMS(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func jsonList(items []string) string {
	if len(items) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(items)
	return string(b)
}

func newID(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// newIncident fills a new incident's defaults (id, status investigating,
// started and, when resolved, resolved now) and validates it.
func newIncident(inc kb.Incident, at time.Time) (kb.Incident, error) {
	now := at.UTC().Truncate(time.Millisecond)
	if inc.ID == "" {
		inc.ID = newID("inc_")
	}
	if inc.Status == "" {
		inc.Status = kb.Investigating
	}
	if inc.StartedAt.IsZero() {
		inc.StartedAt = now
	}
	if inc.Status == kb.Resolved && inc.ResolvedAt.IsZero() {
		inc.ResolvedAt = now
	}
	if err := inc.Validate(); err != nil {
		return kb.Incident{}, err
	}
	inc.CreatedAt, inc.UpdatedAt = now, now
	return inc, nil
}
