package local_test

import (
	"context"
	"sync"
	"testing"

	"github.com/open-sspm/open-sspm/internal/local"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/invokertest"
)

func TestInvokerConformance(t *testing.T) {
	invokertest.Run(t, invokertest.Config{
		Lanes: sspm.Lanes,
		New: func(t *testing.T) (sspm.Invoker, func() []sspm.Invocation) {
			var mu sync.Mutex
			var got []sspm.Invocation
			inv := local.NewInvoker(2, 16, func(_ context.Context, i sspm.Invocation) error {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, i)
				return nil
			}, nil)
			t.Cleanup(inv.Stop)
			return inv, func() []sspm.Invocation {
				mu.Lock()
				defer mu.Unlock()
				return append([]sspm.Invocation(nil), got...)
			}
		},
	})
}
