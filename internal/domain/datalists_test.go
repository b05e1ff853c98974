package domain

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func item() map[string]string {
	return map[string]string{"resource": "学籍信息", "department": "市教育局", "sharing": "conditional",
		"legal_basis": "《安徽省政务数据资源管理办法》", "frequency": "每日", "interface": "jh-la-edu-001"}
}

// TestR9_DataLists: each list has items or an explicit none with a reason; item fields follow
// the configured schema.
func TestR9_DataLists(t *testing.T) {
	ok := DataLists{Demand: DataList{Items: []map[string]string{item()}}, Responsibility: DataList{Items: []map[string]string{item()}},
		Negative: DataList{NoneReason: "本项目不涉及禁止共享的数据"}}
	require.Empty(t, ValidateDataLists(ok, DefaultDataListFields))

	bad := ok
	bad.Negative = DataList{}
	require.Contains(t, ValidateDataLists(bad, DefaultDataListFields), "data_lists.negative")

	it := item()
	it["sharing"] = "sometimes"
	it["extra"] = "x"
	delete(it, "legal_basis")
	bad = ok
	bad.Demand = DataList{Items: []map[string]string{it}}
	errs := ValidateDataLists(bad, DefaultDataListFields)
	require.Contains(t, errs, "data_lists.demand.items[0].sharing")
	// The clerk reads the accepted values in Chinese, with the codes an API client sends.
	require.Equal(t, "共享条件取值须为 无条件共享（unconditional）、有条件共享（conditional）、不予共享（not_shared） 之一",
		errs["data_lists.demand.items[0].sharing"])
	require.Contains(t, errs, "data_lists.demand.items[0].extra")
	require.Contains(t, errs, "data_lists.demand.items[0].legal_basis")

	both := ok
	both.Demand.NoneReason = "x"
	require.Contains(t, ValidateDataLists(both, DefaultDataListFields), "data_lists.demand")

	// A policy may carry its own field set.
	custom := []DataListField{{Name: "resource", Label: "数据资源", Required: true}}
	min := DataLists{Demand: DataList{Items: []map[string]string{{"resource": "r"}}}, Responsibility: DataList{NoneReason: "无"}, Negative: DataList{NoneReason: "无"}}
	require.Empty(t, ValidateDataLists(min, custom))
	require.NotEmpty(t, ValidateDataLists(min, DefaultDataListFields))
}

// TestR9_BlankTextsAreMissing (issue 15 item 10): a "none" reason or a required item field
// that holds only white space (U+3000 included) or invisible characters (U+200B, U+FEFF,
// U+2060, ...) is missing, as an empty one is.
func TestR9_BlankTextsAreMissing(t *testing.T) {
	ok := DataLists{Demand: DataList{Items: []map[string]string{item()}}, Responsibility: DataList{Items: []map[string]string{item()}},
		Negative: DataList{NoneReason: "本项目不涉及禁止共享的数据"}}
	for _, blank := range []string{"   ", "\u3000\u3000", "\t\n", "\u200b", "\ufeff \u2060", "\u200c\u200d\u3000"} {
		bad := ok
		bad.Negative = DataList{NoneReason: blank}
		require.Contains(t, ValidateDataLists(bad, DefaultDataListFields), "data_lists.negative", "none_reason %q", blank)

		it := item()
		it["resource"] = blank
		bad = ok
		bad.Demand = DataList{Items: []map[string]string{it}}
		require.Contains(t, ValidateDataLists(bad, DefaultDataListFields), "data_lists.demand.items[0].resource", "resource %q", blank)
	}
	// A reason with something visible in it stays a reason.
	good := ok
	good.Negative = DataList{NoneReason: "\u3000不涉及\u3000"}
	require.Empty(t, ValidateDataLists(good, DefaultDataListFields))
}
