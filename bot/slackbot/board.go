package slackbot

import "context"

// runBoard keeps the agents' channel in step with the queue. STUB.
func (a *App) runBoard(ctx context.Context) error { <-ctx.Done(); return nil }
