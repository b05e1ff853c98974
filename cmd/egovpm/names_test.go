package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/testdb"
)

// TestCreateOrgAndUserRefuseBlankOrHiddenNames (issue 15 items 10, 16): the CLI applies the
// gateway's rule to org and person names: only white space (U+3000 included) or invisible
// characters is missing; a bidi override, a zero-width character or a line break is refused.
func TestCreateOrgAndUserRefuseBlankOrHiddenNames(t *testing.T) {
	c := cli{t: t, vars: map[string]string{"DATABASE_URL": testdb.URL(t), "EGOVPM_AUDIT_KEY": testdb.AuditKey, "USER": "tester"}}
	for _, name := range []string{"\u3000\u3000", "\u200b", "\ufeff\u2060", "市民\u202e局", "市民\n政局"} {
		_, err := c.run("", "create-org", "--id", "unit-c", "--name", name, "--kind", "unit")
		require.ErrorContains(t, err, "--name", "org name %q", name)
	}
	c.ok("", "create-org", "--id", "unit-c", "--name", "\u3000市民政局\u3000", "--kind", "unit")
	for _, name := range []string{"\u3000", "\u200c\u200d", "张\u200b三", "\u2066张三\u2069"} {
		_, err := c.run("Str0ng-password!\n", "create-user", "--username", "carol", "--name", name, "--org", "unit-c",
			"--roles", "submitter", "--password-stdin")
		require.ErrorContains(t, err, "--name", "user name %q", name)
	}
}
