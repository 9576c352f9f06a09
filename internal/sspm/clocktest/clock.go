// Package clocktest is a fake clock for tests of code that takes Now and Sleep functions (connectors, their
// rate limiting, the lane runner): Sleep advances the clock at once, so rate-limit waits cost no real time, and
// the clock remembers how long and how often it was slept.
package clocktest

import (
	"context"
	"sync"
	"time"
)

// Clock is a fake clock, safe for concurrent use.
type Clock struct {
	mu     sync.Mutex
	t      time.Time
	slept  time.Duration
	sleeps int
}

// New returns a clock reading t.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now reads the clock.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Sleep advances the clock by d, unless ctx has ended.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t, c.slept, c.sleeps = c.t.Add(d), c.slept+d, c.sleeps+1
	return nil
}

// Advance moves the clock forward by d without counting a sleep.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// Set moves the clock to t without counting a sleep.
func (c *Clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// Slept is the time all sleeps added up to.
func (c *Clock) Slept() time.Duration { c.mu.Lock(); defer c.mu.Unlock(); return c.slept }

// Sleeps is how many times the clock was slept.
func (c *Clock) Sleeps() int { c.mu.Lock(); defer c.mu.Unlock(); return c.sleeps }
