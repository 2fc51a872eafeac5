package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/surgedesk/surgedesk/kb"
)

type answerRow struct {
	ID         string         `db:"id"`
	IncidentID sql.NullString `db:"incident_id"`
	Keywords   string         `db:"keywords"` // a JSON list
	TemplateKO string         `db:"template_ko"`
	TemplateEN string         `db:"template_en"`
	CreatedAt  int64          `db:"created_at"`
	UpdatedAt  int64          `db:"updated_at"`
}

const answerColumns = `id, incident_id, keywords, template_ko, template_en, created_at, updated_at`

func (r answerRow) answer() kb.Answer {
	a := kb.Answer{ID: r.ID, IncidentID: r.IncidentID.String, TemplateKO: r.TemplateKO, TemplateEN: r.TemplateEN,
		CreatedAt: fromMS(r.CreatedAt), UpdatedAt: fromMS(r.UpdatedAt)}
	_ = json.Unmarshal([]byte(r.Keywords), &a.Keywords)
	return a
}

type exampleRow struct {
	AnswerID string `db:"answer_id"`
	Locale   string `db:"locale"`
	Text     string `db:"text"`
}

// CreateAnswer stores a new answer with its examples. An empty ID gets a
// generated one. Its incident, if any, must exist.
func (s *Storage) CreateAnswer(ctx context.Context, actor string, a kb.Answer) (kb.Answer, error) {
	if a.ID == "" {
		a.ID = newID("ans_")
	}
	if err := a.Validate(); err != nil {
		return kb.Answer{}, err
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	a.CreatedAt, a.UpdatedAt = now, now
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return kb.Answer{}, fmt.Errorf("storage: unable to begin transaction: %w", err)
	}
	defer tx.Rollback()
	if err := checkIncidentExists(ctx, tx, a); err != nil {
		return kb.Answer{}, err
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO answers (`+answerColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`), answerArgs(a)...)
	if err != nil {
		return kb.Answer{}, fmt.Errorf("storage: unable to create answer %s: %w", a.ID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return kb.Answer{}, fmt.Errorf("storage: answer %s: %w", a.ID, ErrExists)
	}
	if err := replaceExamples(ctx, tx, a); err != nil {
		return kb.Answer{}, err
	}
	if err := addAudit(ctx, tx, actor, "answer.create", "answer:"+a.ID, a); err != nil {
		return kb.Answer{}, err
	}
	if err := tx.Commit(); err != nil {
		return kb.Answer{}, fmt.Errorf("storage: unable to commit answer %s: %w", a.ID, err)
	}
	return a, nil
}

// UpdateAnswer replaces an existing answer, examples included.
func (s *Storage) UpdateAnswer(ctx context.Context, actor string, a kb.Answer) (kb.Answer, error) {
	if err := a.Validate(); err != nil {
		return kb.Answer{}, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return kb.Answer{}, fmt.Errorf("storage: unable to begin transaction: %w", err)
	}
	defer tx.Rollback()
	if err := checkIncidentExists(ctx, tx, a); err != nil {
		return kb.Answer{}, err
	}
	var created int64
	err = tx.GetContext(ctx, &created, tx.Rebind(`SELECT created_at FROM answers WHERE id = ?`), a.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return kb.Answer{}, fmt.Errorf("storage: answer %s: %w", a.ID, ErrNotFound)
	}
	if err != nil {
		return kb.Answer{}, fmt.Errorf("storage: unable to load answer %s: %w", a.ID, err)
	}
	a.CreatedAt, a.UpdatedAt = fromMS(created), time.Now().UTC().Truncate(time.Millisecond)
	if err := upsertAnswer(ctx, tx, a); err != nil {
		return kb.Answer{}, err
	}
	if err := addAudit(ctx, tx, actor, "answer.update", "answer:"+a.ID, a); err != nil {
		return kb.Answer{}, err
	}
	if err := tx.Commit(); err != nil {
		return kb.Answer{}, fmt.Errorf("storage: unable to commit answer %s: %w", a.ID, err)
	}
	return a, nil
}

func answerArgs(a kb.Answer) []any {
	return []any{a.ID, sql.NullString{String: a.IncidentID, Valid: a.IncidentID != ""}, jsonList(a.Keywords),
		a.TemplateKO, a.TemplateEN, ms(a.CreatedAt), ms(a.UpdatedAt)}
}

// upsertAnswer writes the answer and its examples; created_at stays as it
// was for an existing answer.
func upsertAnswer(ctx context.Context, tx *sqlx.Tx, a kb.Answer) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO answers (`+answerColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET incident_id = excluded.incident_id, keywords = excluded.keywords,
			template_ko = excluded.template_ko, template_en = excluded.template_en, updated_at = excluded.updated_at`),
		answerArgs(a)...)
	if err != nil {
		return fmt.Errorf("storage: unable to store answer %s: %w", a.ID, err)
	}
	return replaceExamples(ctx, tx, a)
}

func replaceExamples(ctx context.Context, tx *sqlx.Tx, a kb.Answer) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM answer_examples WHERE answer_id = ?`), a.ID); err != nil {
		return fmt.Errorf("storage: unable to replace the examples of answer %s: %w", a.ID, err)
	}
	pos := 0
	for _, set := range []struct {
		locale string
		texts  []string
	}{{"ko", a.Examples.KO}, {"en", a.Examples.EN}} {
		for _, text := range set.texts {
			pos++
			if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO answer_examples (answer_id, position, locale, text) VALUES (?, ?, ?, ?)`),
				a.ID, pos, set.locale, text); err != nil {
				return fmt.Errorf("storage: unable to store an example of answer %s: %w", a.ID, err)
			}
		}
	}
	return nil
}

// checkIncidentExists makes an answer for an unknown incident a client
// error (kb.ErrInvalid) rather than a foreign key failure.
func checkIncidentExists(ctx context.Context, tx *sqlx.Tx, a kb.Answer) error {
	if a.IncidentID == "" {
		return nil
	}
	var n int
	if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM incidents WHERE id = ?`), a.IncidentID); err != nil {
		return fmt.Errorf("storage: unable to look up incident %s: %w", a.IncidentID, err)
	}
	if n == 0 {
		return fmt.Errorf("storage: answer %s: %w: unknown incident %q", a.ID, kb.ErrInvalid, a.IncidentID)
	}
	return nil
}

// Answer returns one answer with its examples.
func (s *Storage) Answer(ctx context.Context, id string) (kb.Answer, error) {
	tx, err := s.snapshot(ctx)
	if err != nil {
		return kb.Answer{}, err
	}
	defer tx.Rollback()
	var r answerRow
	err = tx.GetContext(ctx, &r, tx.Rebind(`SELECT `+answerColumns+` FROM answers WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return kb.Answer{}, ErrNotFound
	}
	if err != nil {
		return kb.Answer{}, fmt.Errorf("storage: unable to load answer %s: %w", id, err)
	}
	answers, err := s.withExamples(ctx, tx, []answerRow{r}, `WHERE answer_id = ?`, id)
	if err != nil {
		return kb.Answer{}, err
	}
	return answers[0], nil
}

// Answers returns every answer with its examples, by id.
func (s *Storage) Answers(ctx context.Context) ([]kb.Answer, error) {
	tx, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return s.answers(ctx, tx)
}

func (s *Storage) answers(ctx context.Context, q sqlx.QueryerContext) ([]kb.Answer, error) {
	var rows []answerRow
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT `+answerColumns+` FROM answers ORDER BY id`); err != nil {
		return nil, fmt.Errorf("storage: unable to load answers: %w", err)
	}
	return s.withExamples(ctx, q, rows, ``)
}

func (s *Storage) withExamples(ctx context.Context, q sqlx.QueryerContext, rows []answerRow, where string, args ...any) ([]kb.Answer, error) {
	var examples []exampleRow
	if err := sqlx.SelectContext(ctx, q, &examples, s.db.Rebind(`SELECT answer_id, locale, text FROM answer_examples `+
		where+` ORDER BY answer_id, position`), args...); err != nil {
		return nil, fmt.Errorf("storage: unable to load answer examples: %w", err)
	}
	byAnswer := map[string]*kb.Examples{}
	for _, e := range examples {
		ex := byAnswer[e.AnswerID]
		if ex == nil {
			ex = &kb.Examples{}
			byAnswer[e.AnswerID] = ex
		}
		if e.Locale == "ko" {
			ex.KO = append(ex.KO, e.Text)
		} else {
			ex.EN = append(ex.EN, e.Text)
		}
	}
	answers := make([]kb.Answer, len(rows))
	for i, r := range rows {
		answers[i] = r.answer()
		if ex := byAnswer[r.ID]; ex != nil {
			answers[i].Examples = *ex
		}
	}
	return answers, nil
}
