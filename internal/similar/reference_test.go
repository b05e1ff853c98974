package similar

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"
)

// refScore is Score as it was before signatures (issue 20): bigram sets as string maps,
// rebuilt for every pair. Compare must give exactly its scores and reasons.
func refScore(a, b Doc) (float64, []string) {
	n := refDice(refBigrams(a.Name), refBigrams(b.Name))
	d := refDice(refBigrams(a.Description), refBigrams(b.Description))
	r := refDice(refResources(a.DataResources), refResources(b.DataResources))
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

func refBigrams(s string) map[string]struct{} {
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

func refDice(a, b map[string]struct{}) float64 {
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

func refResources(rs []string) map[string]struct{} {
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

// corpus is a set of project texts that covers what the scoring treats apart: the texts of the
// R16 tests, generated Chinese names and descriptions with punctuation, Latin letters in both
// cases, digits, full-width characters, repeated bigrams, texts of one character, texts of
// punctuation only, empty texts, invalid UTF-8, and data resources alike but for spaces,
// punctuation and case.
func corpus() []Doc {
	docs := []Doc{
		{Name: "六安市智慧教育云平台建设项目", Description: "建设全市统一的教育资源共享平台，汇聚学籍数据"},
		{Name: "六安市智慧教育云平台（二期）", Description: "建设全市统一教育资源共享平台，共享学籍数据"},
		{Name: "医保结算系统运维", Description: "医保结算系统年度运行维护服务"},
		{Name: "人口综合服务平台", Description: "面向市民的综合服务", DataResources: []string{"人口基础信息库", "电子证照库"}},
		{Name: "城市大脑一期", Description: "城市运行监测", DataResources: []string{"人口 基础信息库。", "电子证照库"}},
		{Name: "城市大脑一期", Description: "城市运行监测", DataResources: []string{"人口基础信息库", "法人单位库"}},
		{Name: "六安市智慧教育云平台", Description: "建设全市统一的教育资源公共服务平台"},
		{Name: "智慧医疗云平台", Description: "建设全市医疗健康信息服务平台"},
		{Name: "医保结算"}, {Name: "城市大脑"}, {}, {Name: "云"}, {Name: "云", Description: "云"},
		{Name: "，。！", Description: "  "}, {Name: "A", Description: "a"}, {Name: "ab", Description: "AB"},
		{Name: "GIS一张图", Description: "GIS 一张图 gis一张图"}, {Name: "哈哈哈哈", Description: "啊啊"},
		{Name: "ＡＢＣ全角１２３", Description: "abc全角123"}, {Name: "ΣΑΣ", Description: "σας"},
		{Name: "x\xffy", Description: "\xff\xfe"}, {Name: "x y", Description: "xy"},
		{Name: "平台", DataResources: []string{"", "。", " "}},
		{Name: "平台", DataResources: []string{"ABC库", "abc 库", "Abc库"}},
		{Name: "平台", DataResources: []string{"abc库"}},
		{Name: "2025年度运维", Description: "2025", DataResources: []string{"2025"}},
	}
	r := rand.New(rand.NewPCG(20, 16))
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	places := []string{"六安市", "金安区", "裕安区", "霍邱县", "舒城县", "金寨县", "霍山县", ""}
	topics := []string{"智慧教育", "健康医疗", "城市治理", "政务服务", "应急管理", "智慧城市", "教育", "医疗", "GIS", "OA"}
	kinds := []string{"云平台", "信息系统", "数据中心", "综合服务平台", "大数据平台", "平台", "系统"}
	marks := []string{"，", "。", "（二期）", " ", "、", "2025年", "V2", "", "！", "——", "\n", "第3期"}
	res := []string{"人口基础信息库", "人口 基础信息库。", "法人单位库", "电子证照库", "电子证照库", "GIS底图", "gis 底图", "教育主题库", ""}
	for range 250 {
		var name, desc strings.Builder
		for range 1 + r.IntN(3) {
			name.WriteString(pick(places) + pick(topics) + pick(marks) + pick(kinds))
		}
		for range r.IntN(8) {
			desc.WriteString(pick(marks) + pick(topics) + pick(kinds) + pick(marks))
		}
		if r.IntN(10) == 0 {
			fmt.Fprintf(&desc, "%d", r.IntN(100))
		}
		var rs []string
		for range r.IntN(4) {
			rs = append(rs, pick(res))
		}
		docs = append(docs, Doc{Name: name.String(), Description: desc.String(), DataResources: rs})
	}
	return docs
}

// TestR16CompareEqualsTheMapScore: for every ordered pair of the corpus (a document with
// itself too), Score, Compare of reused signatures and a reused Matcher give exactly the score (the same
// float64) and the same reasons as the scoring by string maps they replace.
func TestR16CompareEqualsTheMapScore(t *testing.T) {
	docs := corpus()
	sigs := make([]*Sig, len(docs))
	matchers := make([]*Matcher, len(docs))
	for i, d := range docs {
		sigs[i] = Prepare(d)
		matchers[i] = NewMatcher(d)
	}
	var other Sig
	seen := map[string]int{}
	for j, b := range docs {
		other.Set(b) // one Sig reused across documents, as ComputeSimilar does
		for i, a := range docs {
			ws, wr := refScore(a, b)
			gs, gr := Score(a, b)
			require.Equal(t, ws, gs, "Score %d %d: %q / %q", i, j, a, b)
			require.Equal(t, wr, gr, "Score %d %d", i, j)
			c := Compare(sigs[i], &other)
			require.Equal(t, ws, c.Score, "Compare %d %d", i, j)
			require.Equal(t, wr, c.Reasons(), "Compare %d %d", i, j)
			m := matchers[i].Compare(b) // one Matcher reused across documents, as ComputeSimilar does
			require.Equal(t, ws, m.Score, "Matcher %d %d", i, j)
			require.Equal(t, wr, m.Reasons(), "Matcher %d %d", i, j)
			if ws >= 0.3 && i != j {
				seen[strings.Join(wr, "+")]++
			}
		}
	}
	// The corpus reaches every kind of candidate, not only unrelated pairs.
	for _, k := range []string{"name", "description", "data_resources", "name+description", "name+data_resources"} {
		require.Positive(t, seen[k], "candidates with reasons %s: %v", k, seen)
	}
}

// TestFoldIsUnicode: the table fold reads for the Basic Multilingual Plane gives, for every
// rune, what unicode.ToLower, unicode.IsLetter and unicode.IsDigit give (Bigrams' filter).
func TestFoldIsUnicode(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune+1; r++ {
		l := unicode.ToLower(r)
		keep := unicode.IsLetter(l) || unicode.IsDigit(l)
		got, ok := fold(bmp(), r)
		if ok != keep || keep && got != l {
			t.Fatalf("fold(%U) = %U, %v; unicode: %U, %v", r, got, ok, l, keep)
		}
	}
}
