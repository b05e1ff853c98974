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
