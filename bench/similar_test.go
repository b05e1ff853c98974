package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"egovpm/internal/similar"
)

// Fragments of Lu'an's project names and descriptions, for a portfolio whose texts look like a
// province's year of submissions (R16 scores names, descriptions and data resources).
var (
	simPlaces   = []string{"六安市", "金安区", "裕安区", "叶集区", "霍邱县", "舒城县", "金寨县", "霍山县", "市"}
	simTopics   = []string{"智慧教育", "健康医疗", "城市治理", "政务服务", "应急管理", "生态环境", "市场监管", "交通运输", "社会保障", "公共资源交易", "不动产登记", "农业农村"}
	simKinds    = []string{"云平台", "信息系统", "数据中心", "综合服务平台", "指挥调度系统", "大数据平台", "一网通办系统", "监测预警平台"}
	simSuffixes = []string{"建设项目", "（二期）", "升级改造", "运维服务", "项目", "扩容工程", "2025年度运维"}
	simClauses  = []string{"建设全市统一的", "汇聚各部门业务数据，", "实现跨部门数据共享与业务协同，", "提供面向市民的一站式服务，", "含等保三级安全保障，",
		"部署于政务云，", "对接省级平台接口，", "支持移动端和PC端访问，", "开展数据治理与质量监测，", "建立统一身份认证和电子证照应用，",
		"采购服务器、存储及网络设备，", "开发GIS一张图与可视化大屏，", "年度运行维护及驻场服务，", "完善应急预案与容灾备份。"}
	simResources = []string{"人口基础信息库", "法人单位库", "电子证照库", "自然资源和空间地理库", "宏观经济库", "社会信用库", "医疗健康主题库", "教育主题库"}
)

// simDoc is the i-th generated project text (deterministic).
func simDoc(i int) similar.Doc {
	r := rand.New(rand.NewPCG(uint64(i), 16))
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	name := pick(simPlaces) + pick(simTopics) + pick(simKinds) + pick(simSuffixes)
	var d strings.Builder
	d.WriteString(pick(simClauses) + pick(simTopics) + pick(simKinds) + "，")
	for range 4 + r.IntN(6) {
		d.WriteString(pick(simClauses))
	}
	fmt.Fprintf(&d, "总投资%d万元。", 50+r.IntN(5000))
	var res []string
	for range r.IntN(4) {
		res = append(res, pick(simResources))
	}
	return similar.Doc{Name: name, Description: d.String(), DataResources: res}
}

// insertSimilarPortfolio adds n submitted projects s-1…s-n of unit-a with generated texts
// (COPY, one statement).
func insertSimilarPortfolio(b testing.TB, db *sqlx.DB, n int) {
	b.Helper()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	stmt, err := tx.Prepare(`COPY projects (id, unit_id, name, type, plan_year, estimated_investment_fen, description,
		data_resources, mlps_level, stage, created_by) FROM STDIN`)
	if err != nil {
		b.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		d := simDoc(i)
		if d.DataResources == nil {
			d.DataResources = []string{}
		}
		if _, err := stmt.Exec(fmt.Sprintf("s-%d", i), "unit-a", d.Name, "new", 2030, 500000000, d.Description,
			pq.Array(d.DataResources), 2, "prelim_review", "u-alice"); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := stmt.Exec(); err != nil {
		b.Fatal(err)
	}
	if err := stmt.Close(); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(`ANALYZE projects`); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkComputeSimilarAt is the R16 activity of one submission against 1,000 and 10,000
// submitted projects with generated Chinese texts (issue 20: a province's year).
func BenchmarkComputeSimilarAt(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			st := seeded(b)
			insertSimilarPortfolio(b, st.DB(), n)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			cpuPerOp(b)
			for i := range b.N {
				if _, err := st.ComputeSimilar(ctx, fmt.Sprintf("s-%d", 1+i%n)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkComputeSimilarRead is ComputeSimilar's read alone at 10,000 projects (the rows
// streamed through the driver, nothing scored), with the CPU time of the PostgreSQL backend
// that serves it (its own process: other sessions' work is not counted).
func BenchmarkComputeSimilarRead(b *testing.B) {
	st := seeded(b)
	insertSimilarPortfolio(b, st.DB(), 10000)
	ctx := context.Background()
	conn, err := st.DB().Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	var pid int
	if err := conn.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	before := CPUTime(pid)
	for i := range b.N {
		rows, err := conn.QueryContext(ctx, `SELECT id, name, description, data_resources FROM projects WHERE id <> $1 AND stage <> 'draft'`,
			fmt.Sprintf("s-%d", 1+i))
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
		}
		if err := rows.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((CPUTime(pid)-before).Microseconds())/float64(b.N), "pg-backend-cpu-µs/op")
}
