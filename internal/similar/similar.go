// Package similar scores how alike two projects are, for the duplicate-construction check (R16).
//
// Chinese text has no spaces, so words are not split: each text becomes the set of its
// character bigrams (after dropping punctuation and spaces, lower-casing Latin letters), and
// two texts score by the Dice coefficient 2|A∩B|/(|A|+|B|). This is pure Go (no pg_trgm,
// whose trigram extraction depends on the database locale and ignores CJK under C locales).
package similar

import (
	"slices"
	"strings"
	"sync"
	"unicode"
)

// Bigrams returns the set of character bigrams of s.
func Bigrams(s string) map[string]struct{} {
	var rs []rune
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			rs = append(rs, r)
		}
	}
	out := make(map[string]struct{}, len(rs))
	if len(rs) == 1 {
		out[string(rs)] = struct{}{}
	}
	for i := 0; i+1 < len(rs); i++ {
		out[string(rs[i:i+2])] = struct{}{}
	}
	return out
}

// Dice is the Dice coefficient of two bigram sets (0 when either is empty).
func Dice(a, b map[string]struct{}) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	n := 0
	for k := range a {
		if _, ok := b[k]; ok {
			n++
		}
	}
	return 2 * float64(n) / float64(len(a)+len(b))
}

// Doc is the text of one project.
type Doc struct {
	Name        string
	Description string
	// DataResources are the data resources it builds or uses (R16).
	DataResources []string
}

// Score is the similarity of two projects and what drove it: the name counts 60 %, the
// description 40 %; shared data resources score on their own, 0.6 × the Dice coefficient of
// the two sets of resources (compared without spaces, punctuation or case), so that two
// projects building the same resources under other names are flagged too (R16: it flags, it
// never rejects). The higher of the two is the score.
//
// The reasons are never nil: each part that alone is at least half alike ("name",
// "description", "data_resources"), or, when none is but the score is not zero, the part that
// contributed most to it, so that every stored candidate says why it is one.
//
// Scoring one project against many, prepare it once (Prepare) and use Compare.
func Score(a, b Doc) (float64, []string) {
	r := Compare(Prepare(a), Prepare(b))
	return r.Score, r.Reasons()
}

// Sig is a Doc prepared for scoring: the sets of bigrams of its name and description, each a
// sorted slice of distinct keys (two runes packed into a uint64), and its data resources
// reduced as Score compares them, sorted and distinct. Scoring two Sigs is a merge of sorted
// slices, without strings, maps or allocations (issue 20: R16 at 10,000 projects).
type Sig struct {
	name, desc []uint64
	res        []string
}

// Prepare returns the signature of d.
func Prepare(d Doc) *Sig {
	s := &Sig{}
	s.Set(d)
	return s
}

// Set makes s the signature of d, reusing s's memory (one Sig scores a stream of projects).
func (s *Sig) Set(d Doc) {
	s.name = bigramKeys(s.name[:0], d.Name)
	s.desc = bigramKeys(s.desc[:0], d.Description)
	s.res = resourceKeys(s.res[:0], d.DataResources)
}

// single is the low half of the key of a text of one letter or digit (its set is that one
// character, Bigrams): no rune is that large, so it never equals a bigram's second rune.
const single = 0xFFFF_FFFF

// bigramKeys appends to dst the sorted distinct keys of the bigrams of s: Bigrams' set, each
// bigram packed as first rune << 32 | second rune.
func bigramKeys(dst []uint64, s string) []uint64 {
	var prev rune
	n, t := 0, bmp()
	for _, r := range s {
		r, ok := fold(t, r)
		if !ok {
			continue
		}
		if n > 0 {
			dst = append(dst, uint64(prev)<<32|uint64(r))
		}
		prev = r
		n++
	}
	if n == 1 {
		dst = append(dst, uint64(prev)<<32|single)
	}
	slices.Sort(dst)
	return slices.Compact(dst)
}

// bmp is, for each rune of the Basic Multilingual Plane, the rune lower-cased when that is a
// letter or digit, else 0 (NUL is neither): Chinese text is all in it, and one load replaces
// unicode.ToLower's and unicode.IsLetter's searches of their range tables.
var bmp = sync.OnceValue(func() *[1 << 16]uint16 {
	var t [1 << 16]uint16
	for r := range rune(len(t)) {
		if l, ok := foldSlow(r); ok {
			t[r] = uint16(l) // TestFoldIsUnicode: no letter of the BMP lower-cases outside it
		}
	}
	return &t
})

// fold is the rune as Bigrams keeps it: lower-cased, and whether it is a letter or digit
// (strings.ToLower maps rune by rune with unicode.ToLower; invalid UTF-8 is U+FFFD, neither).
// t is bmp(), fetched once per text by the caller.
func fold(t *[1 << 16]uint16, r rune) (rune, bool) {
	if r < 1<<16 {
		l := t[r]
		return rune(l), l != 0
	}
	return foldSlow(r)
}

func foldSlow(r rune) (rune, bool) {
	r = unicode.ToLower(r)
	return r, unicode.IsLetter(r) || unicode.IsDigit(r)
}

// resourceKeys appends to dst the sorted distinct keys of rs (resources' set).
func resourceKeys(dst []string, rs []string) []string {
	for _, r := range rs {
		if k := resourceKey(r); k != "" {
			dst = append(dst, k)
		}
	}
	slices.Sort(dst)
	return slices.Compact(dst)
}

// resourceKey is r reduced to its letters and digits, lower-cased (r itself when it already is).
func resourceKey(r string) string {
	clean := true
	for _, c := range r {
		if unicode.ToLower(c) != c || !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			clean = false
			break
		}
	}
	if clean {
		return r
	}
	var b strings.Builder
	for _, c := range r {
		if c = unicode.ToLower(c); unicode.IsLetter(c) || unicode.IsDigit(c) {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// dice is Dice on two sorted slices of distinct keys.
func dice[T uint64 | string](a, b []T) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return 2 * float64(n) / float64(len(a)+len(b))
}

// Result is a pair's score and, as bits, its reasons (Reasons).
type Result struct {
	Score   float64
	reasons uint8
}

const (
	byName uint8 = 1 << iota
	byDescription
	byResources
)

// Reasons are the reasons of the score, as Score gives them (never nil).
func (r Result) Reasons() []string {
	out := []string{}
	if r.reasons&byName != 0 {
		out = append(out, "name")
	}
	if r.reasons&byDescription != 0 {
		out = append(out, "description")
	}
	if r.reasons&byResources != 0 {
		out = append(out, "data_resources")
	}
	return out
}

// Compare is Score of two prepared documents.
func Compare(a, b *Sig) Result {
	return result(dice(a.name, b.name), dice(a.desc, b.desc), dice(a.res, b.res))
}

// result is the score and reasons of a pair whose names, descriptions and data resources are
// n, d and r alike (Score).
func result(n, d, r float64) Result {
	var reasons uint8
	if n >= 0.5 {
		reasons |= byName
	}
	if d >= 0.5 {
		reasons |= byDescription
	}
	if r >= 0.5 {
		reasons |= byResources
	}
	text, res := 0.6*n+0.4*d, 0.6*r
	score := max(text, res)
	if reasons == 0 && score > 0 {
		switch {
		case res >= text:
			reasons = byResources
		case 0.6*n >= 0.4*d:
			reasons = byName
		default:
			reasons = byDescription
		}
	}
	return Result{Score: score, reasons: reasons}
}
