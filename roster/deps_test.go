package roster_test

import (
	"os/exec"
	"strings"
	"testing"
)

// Importing the core (client, callback, roster) does not pull in go-redis,
// nor any other dependency of the nested modules: the Redis store lives in
// roster/redisstore, a module of its own.
func TestCoreDoesNotPullInRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/acsmute/acsmute/client", "github.com/acsmute/acsmute/callback",
		"github.com/acsmute/acsmute/roster").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "redis") || strings.Contains(dep, "azure-sdk-for-go") || strings.Contains(dep, "opentelemetry") {
			t.Errorf("the core depends on %s", dep)
		}
	}
	if !strings.Contains(string(out), "github.com/acsmute/acsmute/roster\n") {
		t.Errorf("go list did not list the roster:\n%s", out)
	}
}
