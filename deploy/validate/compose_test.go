package validate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/schema"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v4"
)

const composeFile = "../compose.yaml"

// loadCompose loads deploy/compose.yaml as docker compose would (schema validation included).
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	abs, err := filepath.Abs(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	details := types.ConfigDetails{
		WorkingDir:  filepath.Dir(abs),
		ConfigFiles: []types.ConfigFile{{Filename: abs}},
		Environment: types.Mapping{},
	}
	project, err := loader.LoadWithContext(context.Background(), details, func(o *loader.Options) {
		o.SetProjectName("smarterbase", true)
	})
	if err != nil {
		t.Fatalf("%s does not load: %v", composeFile, err)
	}
	return project
}

func TestComposeFileMatchesTheComposeSpecSchema(t *testing.T) {
	raw, err := os.ReadFile(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Fatalf("%s fails the compose-spec schema: %v", composeFile, err)
	}
}

func TestComposeServicesRestartAndHaveHealthChecks(t *testing.T) {
	project := loadCompose(t)
	for _, name := range []string{"redis", "minio", "smarterbase"} {
		svc, ok := project.Services[name]
		if !ok {
			t.Fatalf("service %s missing", name)
		}
		if svc.Restart != "unless-stopped" {
			t.Errorf("%s: restart = %q, want unless-stopped", name, svc.Restart)
		}
		if svc.HealthCheck == nil || len(svc.HealthCheck.Test) == 0 {
			t.Errorf("%s: no healthcheck", name)
		}
	}
	sb := project.Services["smarterbase"]
	if got := strings.Join(sb.HealthCheck.Test, " "); !strings.Contains(got, "deploy/healthcheck.js") {
		t.Errorf("smarterbase healthcheck %q does not ask the gRPC health service (deploy/healthcheck.js)", got)
	}
	for _, dep := range []string{"redis", "minio"} {
		if d, ok := sb.DependsOn[dep]; !ok || d.Condition != types.ServiceConditionHealthy {
			t.Errorf("smarterbase must wait for %s to be healthy, got %+v", dep, d)
		}
	}
}

func TestComposeSmarterbaseSharesATokenSecretRetriesAndPublishesMetrics(t *testing.T) {
	sb := loadCompose(t).Services["smarterbase"]
	env := map[string]string{}
	for k, v := range sb.Environment {
		if v != nil {
			env[k] = *v
		}
	}
	if env["SB_PAGE_TOKEN_SECRET"] == "" {
		t.Error("SB_PAGE_TOKEN_SECRET unset: the replicas must share one page-token secret")
	}
	if env["SB_STARTUP_RETRY_MS"] == "" || env["SB_STARTUP_RETRY_MS"] == "0" {
		t.Error("SB_STARTUP_RETRY_MS must let the servers wait for Redis and MinIO")
	}
	published := map[uint32]bool{}
	for _, p := range sb.Ports {
		published[p.Target] = true
	}
	for _, port := range []uint32{50051, 8080, 9464} {
		if !published[port] {
			t.Errorf("port %d not published", port)
		}
	}
	if env["SB_METRICS_PORT"] != "9464" {
		t.Errorf("SB_METRICS_PORT = %q, want 9464 (the published metrics port)", env["SB_METRICS_PORT"])
	}
}

func TestComposeSchemaRefusesAMisspeltField(t *testing.T) {
	// The check itself must be able to fail: a typo docker compose would reject.
	doc := map[string]any{"services": map[string]any{"x": map[string]any{"image": "redis", "healthchek": map[string]any{}}}}
	if err := schema.Validate(doc); err == nil || !strings.Contains(err.Error(), "healthchek") {
		t.Fatalf("a misspelt field was accepted: %v", err)
	}
}
