// Package text holds the one rule for required texts and names that every layer applies
// (gateway validation, domain checks, workflow validators, the CLI): what counts as blank,
// which characters a name may not hold, and how to cut a string without splitting a
// character. It does no I/O, so workflows may import it.
package text

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Invisible reports whether r shows nothing by itself: control characters (C0, C1), format
// characters (zero-width space/joiners U+200B–U+200D, word joiner U+2060, BOM U+FEFF, soft
// hyphen, bidi marks, embeddings, overrides and isolates U+200E–U+200F, U+202A–U+202E,
// U+2066–U+2069, ...), other default-ignorable code points (Hangul fillers U+115F, U+1160,
// U+3164, U+FFA0, combining grapheme joiner U+034F), variation selectors and the blank
// braille pattern U+2800.
func Invisible(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) ||
		unicode.Is(unicode.Variation_Selector, r) || r == '\u2800'
}

// blankRune reports whether r is Unicode white space (U+3000 ideographic space included) or
// invisible.
func blankRune(r rune) bool { return unicode.IsSpace(r) || Invisible(r) }

// Blank reports whether s holds nothing a reader can see: it is empty, or every character is
// Unicode white space (U+3000 included) or invisible (Invisible). A required text (a name, a
// comment, an opinion, a reason) that is blank is missing.
func Blank(s string) bool {
	for _, r := range s {
		if !blankRune(r) {
			return false
		}
	}
	return true
}

// Trim removes blank characters (white space and invisible ones) from both ends of s.
func Trim(s string) string { return strings.TrimFunc(s, blankRune) }

// Hidden reports whether r may not appear inside a name (of a project, an org, a person, a
// data resource, a vendor, a file): control characters (line breaks and tabs included), format
// characters (bidi overrides and isolates that reorder what a reader sees, such as U+202E;
// zero-width characters that make two equal-looking names differ), line and paragraph
// separators, and other default-ignorable code points. Variation selectors are allowed: they
// choose a glyph of the character before them (异体字 in a person's name).
func Hidden(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.In(r, unicode.Zl, unicode.Zp) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r)
}

// NameProblem says what is wrong with s as a name: "blank" when nothing visible is in it,
// "hidden" when it holds a Hidden character anywhere (at its ends too), "" when it is a good
// name. White space at the ends is allowed; Trim removes it.
func NameProblem(s string) string {
	if Blank(s) {
		return "blank"
	}
	if strings.IndexFunc(s, Hidden) >= 0 {
		return "hidden"
	}
	return ""
}

// StripHidden returns s without its Hidden characters.
func StripHidden(s string) string {
	return strings.Map(func(r rune) rune {
		if Hidden(r) {
			return -1
		}
		return r
	}, s)
}

// Cut returns the longest prefix of s of at most n bytes that ends on a character boundary.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// EmailProblem is "" when s (trimmed by the caller) is an address a mail relay can take — a bare
// local@domain, no display name, comment or space, a domain with a dot, at most 254 bytes — and
// else the message for its field. "" itself (no address) is none of these: check it first.
func EmailProblem(s string) string {
	a, err := mail.ParseAddress(s)
	at := strings.LastIndex(s, "@")
	if err != nil || a.Address != s || a.Name != "" || len(s) > 254 || at < 1 ||
		!strings.Contains(s[at+1:], ".") || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || Hidden(r) }) {
		return "邮箱格式不正确，例如 zhangsan@luan.gov.cn"
	}
	return ""
}
