package similar

import "math/bits"

// Matcher scores one project against a stream of others (ComputeSimilar: one submission
// against every submitted project), with Compare's results. The project's bigram keys are
// made once, into hash sets; each other text is read once, its bigram keys counted into a
// reused hash set as they come (its distinct bigrams, and those the project has too), so no
// other text is sorted or allocated for (issue 20: sorting was most of the cost at 10,000).
type Matcher struct {
	me         *Sig
	name, desc keySet
	seen       keySet // the other text's distinct keys so far, emptied after each text
	res        []string
}

// NewMatcher prepares d to be scored against others.
func NewMatcher(d Doc) *Matcher {
	me := Prepare(d)
	return &Matcher{me: me, name: newKeySet(me.name), desc: newKeySet(me.desc)}
}

// Compare is Compare(Prepare(me), Prepare(o)).
func (m *Matcher) Compare(o Doc) Result {
	n := m.dice(&m.name, len(m.me.name), o.Name)
	d := m.dice(&m.desc, len(m.me.desc), o.Description)
	m.res = resourceKeys(m.res[:0], o.DataResources)
	return result(n, d, dice(m.me.res, m.res))
}

// dice is the Dice coefficient of the project's bigram set (mine, of size k) and that of s.
func (m *Matcher) dice(mine *keySet, k int, s string) float64 {
	if k == 0 {
		return 0 // as dice: 0 when either is empty
	}
	m.seen.reset(len(s)) // a text has no more distinct bigrams than bytes
	var prev rune
	runes, distinct, common, t := 0, 0, 0, bmp()
	add := func(key uint64) {
		if m.seen.add(key) {
			distinct++
			if mine.has(key) {
				common++
			}
		}
	}
	for _, r := range s {
		r, ok := fold(t, r)
		if !ok {
			continue
		}
		if runes > 0 {
			add(uint64(prev)<<32 | uint64(r))
		}
		prev = r
		runes++
	}
	if runes == 1 {
		add(uint64(prev)<<32 | single)
	}
	if distinct == 0 {
		return 0
	}
	return 2 * float64(common) / float64(k+distinct)
}

// keySet is an open-addressing hash set of bigram keys (never 0: a key's high half is a
// letter or digit, so not NUL), linear probing, at most half full.
type keySet struct {
	slots []uint64
	shift uint8
	used  []int // slots filled since the last reset
}

func newKeySet(keys []uint64) keySet {
	var s keySet
	s.reset(len(keys))
	for _, k := range keys {
		s.add(k)
	}
	s.used = nil
	return s
}

// reset empties s and makes room for n keys.
func (s *keySet) reset(n int) {
	if size := 2 * max(n, 4); size > len(s.slots) {
		size = 1 << bits.Len(uint(size-1))
		s.slots, s.shift = make([]uint64, size), uint8(64-bits.TrailingZeros(uint(size)))
	} else {
		for _, i := range s.used {
			s.slots[i] = 0
		}
	}
	s.used = s.used[:0]
}

func (s *keySet) slot(k uint64) int { return int((k * 0x9E3779B97F4A7C15) >> s.shift) }

// add puts k in s and reports whether it was not there yet.
func (s *keySet) add(k uint64) bool {
	mask := len(s.slots) - 1
	for i := s.slot(k); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case k:
			return false
		case 0:
			s.slots[i] = k
			s.used = append(s.used, i)
			return true
		}
	}
}

func (s *keySet) has(k uint64) bool {
	mask := len(s.slots) - 1
	for i := s.slot(k); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case k:
			return true
		case 0:
			return false
		}
	}
}
