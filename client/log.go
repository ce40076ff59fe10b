package client

import (
	"context"
	"log/slog"
	"time"
)

// logAttempt records one attempt on the configured logger. Nothing it
// records holds a credential: the URL has no query and errors never quote
// one.
func (c *Client) logAttempt(ctx context.Context, op *operation, res attemptResult, delay time.Duration) {
	if c.logger == nil {
		return
	}
	attrs := []slog.Attr{slog.String("operation", op.name), slog.Int("attempt", op.attempts), slog.String("method", res.method), slog.String("url", res.url)}
	level := slog.LevelInfo
	if res.resp != nil {
		attrs = append(attrs, slog.Int("status", res.resp.StatusCode))
		if res.resp.StatusCode != op.successStatus() {
			level = slog.LevelWarn
		}
	}
	if res.err != nil {
		attrs = append(attrs, slog.String("error", res.err.Error()))
		level = slog.LevelWarn
	}
	if delay > 0 {
		attrs = append(attrs, slog.Duration("retry_in", delay))
	}
	c.logger.LogAttrs(ctx, level, "acsmute: attempt", attrs...)
}
