// Package similar scores how alike two projects are, for the duplicate-construction check (R16).
//
// Chinese text has no spaces, so words are not split: each text becomes the set of its
// character bigrams (after dropping punctuation and spaces, lower-casing Latin letters), and
// two texts score by the Dice coefficient 2|A∩B|/(|A|+|B|). This is pure Go (no pg_trgm,
// whose trigram extraction depends on the database locale and ignores CJK under C locales).
package similar

import (
	"strings"
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
func Score(a, b Doc) (float64, []string) {
	n := Dice(Bigrams(a.Name), Bigrams(b.Name))
	d := Dice(Bigrams(a.Description), Bigrams(b.Description))
	r := Dice(resources(a.DataResources), resources(b.DataResources))
	reasons := []string{}
	if n >= 0.5 {
		reasons = append(reasons, "name")
	}
	if d >= 0.5 {
		reasons = append(reasons, "description")
	}
	if r >= 0.5 {
		reasons = append(reasons, "data_resources")
	}
	text, res := 0.6*n+0.4*d, 0.6*r
	score := max(text, res)
	if len(reasons) == 0 && score > 0 {
		switch {
		case res >= text:
			reasons = append(reasons, "data_resources")
		case 0.6*n >= 0.4*d:
			reasons = append(reasons, "name")
		default:
			reasons = append(reasons, "description")
		}
	}
	return score, reasons
}

// resources is the set of a project's data resources, each reduced to its letters and digits
// (lower-cased), so "人口基础信息库" and "人口 基础信息库。" are one resource.
func resources(rs []string) map[string]struct{} {
	out := make(map[string]struct{}, len(rs))
	for _, r := range rs {
		var k []rune
		for _, c := range strings.ToLower(r) {
			if unicode.IsLetter(c) || unicode.IsDigit(c) {
				k = append(k, c)
			}
		}
		if len(k) > 0 {
			out[string(k)] = struct{}{}
		}
	}
	return out
}
