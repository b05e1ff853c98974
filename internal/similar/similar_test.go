package similar

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestR16Score: near-duplicate Chinese project names score high, unrelated ones low.
func TestR16Score(t *testing.T) {
	a := Doc{Name: "六安市智慧教育云平台建设项目", Description: "建设全市统一的教育资源共享平台，汇聚学籍数据"}
	dup := Doc{Name: "六安市智慧教育云平台（二期）", Description: "建设全市统一教育资源共享平台，共享学籍数据"}
	other := Doc{Name: "医保结算系统运维", Description: "医保结算系统年度运行维护服务"}
	s1, r1 := Score(a, dup)
	s2, _ := Score(a, other)
	require.Greater(t, s1, 0.5)
	require.Contains(t, r1, "name")
	require.Less(t, s2, 0.2)
	require.Greater(t, s1, s2)
	s3, _ := Score(a, a)
	require.InDelta(t, 1.0, s3, 1e-9)
	require.Zero(t, Dice(Bigrams(""), Bigrams("abc")))
}

// R16 on data resources: two projects that build the same data resources under other names and
// descriptions are flagged for it (score 0.6 × the overlap, reason data_resources), spaces,
// punctuation and case aside; projects without declared resources score as before.
func TestR16ScoreOnDataResources(t *testing.T) {
	a := Doc{Name: "人口综合服务平台", Description: "面向市民的综合服务", DataResources: []string{"人口基础信息库", "电子证照库"}}
	b := Doc{Name: "城市大脑一期", Description: "城市运行监测", DataResources: []string{"人口 基础信息库。", "电子证照库"}}
	s, rs := Score(a, b)
	require.InDelta(t, 0.6, s, 1e-9)
	require.Equal(t, []string{"data_resources"}, rs)

	half := b
	half.DataResources = []string{"人口基础信息库", "法人单位库"}
	s, rs = Score(a, half)
	require.InDelta(t, 0.3, s, 1e-9, "one shared of two each")
	require.Equal(t, []string{"data_resources"}, rs)

	none := b
	none.DataResources = nil
	s, rs = Score(a, none)
	want, _ := Score(Doc{Name: a.Name, Description: a.Description}, Doc{Name: b.Name, Description: b.Description})
	require.Equal(t, want, s, "without resources on one side, name and description alone")
	require.Empty(t, rs)
}

// R16: a pair alike enough to be a candidate (score ≥ 0.3) whose name and description are each
// less than half alike still says why it is one (the part that weighed most), and the reasons
// are never nil: the store writes them into reasons text[] NOT NULL.
func TestR16ScoreAlwaysGivesReasons(t *testing.T) {
	a := Doc{Name: "六安市智慧教育云平台", Description: "建设全市统一的教育资源公共服务平台"}
	b := Doc{Name: "智慧医疗云平台", Description: "建设全市医疗健康信息服务平台"}
	s, rs := Score(a, b)
	require.GreaterOrEqual(t, s, 0.3)
	require.Less(t, Dice(Bigrams(a.Name), Bigrams(b.Name)), 0.5)
	require.Less(t, Dice(Bigrams(a.Description), Bigrams(b.Description)), 0.5)
	require.Equal(t, []string{"name"}, rs, "the name weighs 0.6 × 0.40, the description 0.4 × 0.41")

	s, rs = Score(Doc{Name: "医保结算"}, Doc{Name: "城市大脑"})
	require.Zero(t, s)
	require.NotNil(t, rs)
	require.Empty(t, rs)
}
