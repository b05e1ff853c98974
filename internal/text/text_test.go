package text

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestBlank(t *testing.T) {
	for _, s := range []string{"", " ", "\t\r\n", "\u3000", "\u00a0", "\u200b", "\u200c\u200d", "\u2060", "\ufeff",
		"\u202e", "\u2066\u2069", "\u00ad", "\u3164", "\u115f", "\u2800", "\ufe0f", "\u2028", " \u3000\u200b\ufeff "} {
		require.True(t, Blank(s), "%q is blank", s)
	}
	for _, s := range []string{"a", "理由", "\u3000理由\u3000", "\u200b0", ".", "-"} {
		require.False(t, Blank(s), "%q is not blank", s)
	}
	require.Equal(t, "理 由", Trim("\u3000\u200b理 由\ufeff \n"))
	require.Equal(t, "", Trim("\u3000\u200b"))
}

func TestNameProblem(t *testing.T) {
	for s, want := range map[string]string{
		"智慧教育平台": "", " 智慧教育平台\u3000": "", "葛\U000E0100优": "", // an ideographic variation selector is a glyph choice
		"": "blank", "\u3000": "blank", "\u200b\u200b": "blank",
		"evil\u202egpj.exe": "hidden", "智慧\u200b教育": "hidden", "\u2066教育\u2069": "hidden", "a\nb": "hidden",
		"a\tb": "hidden", "a\u2028b": "hidden", "\ufeff教育": "hidden", "教\u00ad育": "hidden", "教\u3164育": "hidden",
	} {
		require.Equal(t, want, NameProblem(s), "%q", s)
	}
	require.Equal(t, "evilgpj.exe", StripHidden("evil\u202egpj.exe"))
}

func TestCut(t *testing.T) {
	s := "一二三" // 3 bytes each
	for n, want := range map[int]string{0: "", 1: "", 2: "", 3: "一", 4: "一", 8: "一二", 9: "一二三", 100: "一二三"} {
		got := Cut(s, n)
		require.Equal(t, want, got, "Cut(%q, %d)", s, n)
		require.True(t, utf8.ValidString(got))
	}
	require.Equal(t, "ab", Cut("abc", 2))
}

func TestEmailProblem(t *testing.T) {
	for _, ok := range []string{"li.shen@luan.gov.cn", "wang_li+plan@edu.luan.gov.cn", "a@b.cn"} {
		if p := EmailProblem(ok); p != "" {
			t.Errorf("%q refused: %s", ok, p)
		}
	}
	for _, bad := range []string{"lishen", "li@luan", "@luan.gov.cn", "li shen@luan.gov.cn", "王丽 <wangli@luan.gov.cn>",
		"li@luan.gov.cn\r\nBcc: x@y.cn", "li@luan.gov.cn\u202e", strings.Repeat("a", 250) + "@luan.gov.cn", "a@b@c.cn"} {
		if EmailProblem(bad) == "" {
			t.Errorf("%q accepted", bad)
		}
	}
}
