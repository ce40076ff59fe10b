package callback

import (
	"context"
	"testing"
	"time"
)

// A Wait that ends without its event leaves nothing behind, while another
// Wait for the same request keeps waiting.
func TestWaitLeavesNothingBehind(t *testing.T) {
	w, err := NewWaiter(nil)
	if err != nil {
		t.Fatal(err)
	}
	long, cancelLong := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := w.Wait(long, "call", "op")
		done <- err
	}()
	for {
		w.mu.Lock()
		en := w.entries[waitKey{"call", "op"}]
		waiting := en != nil && en.waiting == 1
		w.mu.Unlock()
		if waiting {
			break
		}
		time.Sleep(time.Millisecond)
	}
	short, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := w.Wait(short, "call", "op"); err == nil {
		t.Fatal("no error")
	}
	w.mu.Lock()
	if len(w.entries) != 1 {
		t.Errorf("%d entries while one Wait goes on", len(w.entries))
	}
	w.mu.Unlock()
	cancelLong()
	if err := <-done; err == nil {
		t.Fatal("no error")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.entries) != 0 || len(w.queue) != 0 || len(w.handed) != 0 {
		t.Errorf("%d entries, %d queued and %d handed IDs left after every Wait ended", len(w.entries), len(w.queue), len(w.handed))
	}
}
