package domain

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"egovpm/internal/text"
)

// DataListField is one field of a data-list item (R9). The field set is ours and lives here in
// one place; a policy may replace it (Policy.DataListFields).
type DataListField struct {
	Name     string   `json:"name"`
	Label    string   `json:"label"`
	Required bool     `json:"required"`
	Enum     []string `json:"enum,omitempty"`
	MaxLen   int      `json:"max_len,omitempty"`
}

// DefaultDataListFields is the R9 item field set: data resource, provider/consumer department,
// sharing condition, legal basis, update frequency, interface on the 江淮大数据中心六安市子平台.
var DefaultDataListFields = []DataListField{
	{Name: "resource", Label: "数据资源", Required: true, MaxLen: 200},
	{Name: "department", Label: "提供/使用部门", Required: true, MaxLen: 200},
	{Name: "sharing", Label: "共享条件", Required: true, Enum: []string{"unconditional", "conditional", "not_shared"}},
	{Name: "legal_basis", Label: "法律依据", Required: true, MaxLen: 500},
	{Name: "frequency", Label: "更新频率", Required: true, MaxLen: 50},
	{Name: "interface", Label: "江淮大数据中心六安市子平台接口", Required: true, MaxLen: 200},
}

// enumValueNames are the Chinese names of the enum values of the default field set, the same as
// the web's sharingLabels (web/src/lib/dataLists.ts), for refusal messages.
var enumValueNames = map[string]string{"unconditional": "无条件共享", "conditional": "有条件共享", "not_shared": "不予共享"}

// enumChoices lists the accepted values for a message: "无条件共享（unconditional）、…"; a value
// with no Chinese name (a policy's own field set) is shown as its code.
func enumChoices(values []string) string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = v
		if n, ok := enumValueNames[v]; ok {
			out[i] = n + "（" + v + "）"
		}
	}
	return strings.Join(out, "、")
}

// ValidateDataLists checks the three lists against fields and returns field errors keyed by
// path (e.g. "data_lists.demand.items[0].sharing"); empty means valid. Each list needs at least
// one item or an explicit "none" with a reason, not both. A reason or a required field that is
// blank (text.Blank: only white space or invisible characters) is missing.
func ValidateDataLists(l DataLists, fields []DataListField) map[string]string {
	errs := map[string]string{}
	known := map[string]DataListField{}
	for _, f := range fields {
		known[f.Name] = f
	}
	check := func(name string, dl DataList) {
		path := "data_lists." + name
		none := !text.Blank(dl.NoneReason)
		switch {
		case len(dl.Items) == 0 && !none:
			errs[path] = "须至少列出一项，或以 none_reason 说明无此清单的理由"
			return
		case len(dl.Items) > 0 && none:
			errs[path] = "不能同时给出清单项和 none_reason"
			return
		case utf8.RuneCountInString(dl.NoneReason) > 2000:
			errs[path+".none_reason"] = "不能超过 2000 个字符"
		case len(dl.Items) > 1000:
			errs[path+".items"] = "不能超过 1000 项"
			return
		}
		for i, it := range dl.Items {
			ip := fmt.Sprintf("%s.items[%d]", path, i)
			for k := range it {
				if _, ok := known[k]; !ok {
					errs[ip+"."+k] = "不允许的字段"
				}
			}
			for _, f := range fields {
				v := it[f.Name]
				switch {
				case f.Required && text.Blank(v):
					errs[ip+"."+f.Name] = f.Label + "必填"
				case v != "" && len(f.Enum) > 0 && !Contains(f.Enum, v):
					errs[ip+"."+f.Name] = fmt.Sprintf("%s取值须为 %s 之一", f.Label, enumChoices(f.Enum))
				case f.MaxLen > 0 && len([]rune(v)) > f.MaxLen:
					errs[ip+"."+f.Name] = fmt.Sprintf("%s不能超过 %d 个字符", f.Label, f.MaxLen)
				}
			}
		}
	}
	check("demand", l.Demand)
	check("responsibility", l.Responsibility)
	check("negative", l.Negative)
	return errs
}
