package similar

import "testing"

// benchPair is a pair of project texts of typical length (a name of ~15 characters, a
// description of ~150, two data resources each).
var benchPair = [2]Doc{
	{Name: "六安市智慧教育云平台建设项目", Description: "建设全市统一的教育资源共享平台，汇聚各部门业务数据，实现跨部门数据共享与业务协同，" +
		"提供面向市民的一站式服务，含等保三级安全保障，部署于政务云，对接省级平台接口，支持移动端和PC端访问，开展数据治理与质量监测，" +
		"采购服务器、存储及网络设备，总投资1200万元。", DataResources: []string{"教育主题库", "人口基础信息库"}},
	{Name: "金寨县智慧教育综合服务平台（二期）", Description: "汇聚学籍数据，建立统一身份认证和电子证照应用，开发GIS一张图与可视化大屏，" +
		"年度运行维护及驻场服务，完善应急预案与容灾备份。建设全市统一的教育资源公共服务平台，对接省级平台接口，实现跨部门数据共享，" +
		"总投资800万元。", DataResources: []string{"教育主题库", "电子证照库"}},
}

// BenchmarkScore is one pair scored from the two documents' texts (both sides prepared).
func BenchmarkScore(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		Score(benchPair[0], benchPair[1])
	}
}

// BenchmarkCompareStreamed is a pair as ComputeSimilar scores it: the checked project's
// signature made once, the other's set into one reused Sig, then compared.
func BenchmarkCompareStreamed(b *testing.B) {
	me := Prepare(benchPair[0])
	var other Sig
	b.ReportAllocs()
	for range b.N {
		other.Set(benchPair[1])
		Compare(me, &other)
	}
}

// BenchmarkCompare is the comparison of two signatures alone.
func BenchmarkCompare(b *testing.B) {
	x, y := Prepare(benchPair[0]), Prepare(benchPair[1])
	b.ReportAllocs()
	for range b.N {
		Compare(x, y)
	}
}

// BenchmarkMatcher is a pair as ComputeSimilar scores it: the checked project prepared once
// (NewMatcher), the other's text read into the Matcher's reused hash set.
func BenchmarkMatcher(b *testing.B) {
	m := NewMatcher(benchPair[0])
	b.ReportAllocs()
	for range b.N {
		m.Compare(benchPair[1])
	}
}
