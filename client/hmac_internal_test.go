package client

import "testing"

// A signer keeps its grown buffer, but not one grown past the bound by a
// very long URL.
func TestKeptBuffer(t *testing.T) {
	old := make([]byte, 3, 512)
	if b := keptBuffer(make([]byte, 600, maxPooledSignBuffer), old); cap(b) != maxPooledSignBuffer || len(b) != 0 {
		t.Errorf("a buffer at the bound: cap %d len %d", cap(b), len(b))
	}
	if b := keptBuffer(make([]byte, 10, maxPooledSignBuffer+1), old); cap(b) != 512 || len(b) != 0 {
		t.Errorf("a buffer past the bound is kept: cap %d len %d", cap(b), len(b))
	}
}
