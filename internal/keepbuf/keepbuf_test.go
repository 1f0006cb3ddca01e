package keepbuf

import "testing"

// The buffers kept never add up to more than the budget; the newest push
// the oldest out; Get takes a buffer at most a quarter larger than asked,
// empty.
func TestListKeepsWithinBudget(t *testing.T) {
	l := List{Min: 4 << 10, Max: 1 << 20, Budget: 4 << 20}
	for range 100 {
		l.Put(make([]byte, 1000, 256<<10))
	}
	if n, bytes := l.Kept(); bytes != l.Budget || n != l.Budget/(256<<10) {
		t.Errorf("after 100 buffers of 256 KiB: %d kept, %d bytes, want %d bytes", n, bytes, l.Budget)
	}
	if b := l.Get(100 << 10); cap(b) != 100<<10 {
		t.Errorf("Get(100 KiB) took a buffer of %d bytes, want a new one of 100 KiB", cap(b))
	}
	if b := l.Get(220 << 10); len(b) != 0 || cap(b) != 256<<10 {
		t.Errorf("Get(220 KiB) = len %d cap %d, want a kept buffer of 256 KiB, empty", len(b), cap(b))
	}
	if n, bytes := l.Kept(); bytes != l.Budget-256<<10 || n != l.Budget/(256<<10)-1 {
		t.Errorf("after a Get: %d kept, %d bytes, want one buffer fewer", n, bytes)
	}
	for range 100 { // a new size pushes the old one out
		l.Put(make([]byte, 0, 64<<10))
	}
	if n, bytes := l.Kept(); bytes != l.Budget || n != l.Budget/(64<<10) {
		t.Errorf("after 100 buffers of 64 KiB: %d kept, %d bytes, want %d of 64 KiB", n, bytes, l.Budget/(64<<10))
	}
	l.Put(make([]byte, 0, 2*l.Max)) // too large to keep
	l.Put(make([]byte, 0, l.Min-1)) // too small
	if _, bytes := l.Kept(); bytes != l.Budget {
		t.Errorf("%d bytes kept, want %d", bytes, l.Budget)
	}
	if b := l.Get(l.Max + 1); cap(b) != l.Max+1 {
		t.Errorf("Get(Max+1) = cap %d, want a new buffer", cap(b))
	}
	var zero List
	zero.Put(make([]byte, 0, 8<<10))
	if n, _ := zero.Kept(); n != 0 {
		t.Errorf("the zero List kept %d buffers, want none", n)
	}
}
