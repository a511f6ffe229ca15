package validate

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// manifests holds every object of the files under deploy/k8s, decoded strictly.
type manifests struct {
	deployments []appsv1.Deployment
	services    []corev1.Service
	configMaps  []corev1.ConfigMap
	secrets     []corev1.Secret
	pdbs        []policyv1.PodDisruptionBudget
}

// splitDocuments splits a multi-document YAML file at its "---" lines.
func splitDocuments(raw []byte) [][]byte {
	var docs [][]byte
	for _, part := range bytes.Split(raw, []byte("\n---")) {
		if len(bytes.TrimSpace(stripComments(part))) > 0 {
			docs = append(docs, part)
		}
	}
	return docs
}

func stripComments(doc []byte) []byte {
	var kept []string
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			kept = append(kept, line)
		}
	}
	return []byte(strings.Join(kept, "\n"))
}

// strict decodes doc into out, refusing unknown fields and wrong types.
func strict(doc []byte, out any) error { return yaml.UnmarshalStrict(doc, out) }

func loadManifests(t *testing.T) manifests {
	t.Helper()
	files, err := filepath.Glob("../k8s/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests under deploy/k8s (%v)", err)
	}
	var m manifests
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range splitDocuments(raw) {
			var head struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if err := yaml.Unmarshal(doc, &head); err != nil {
				t.Fatalf("%s document %d: not YAML: %v", file, i+1, err)
			}
			where := fmt.Sprintf("%s document %d (%s %s)", file, i+1, head.APIVersion, head.Kind)
			var err2 error
			switch head.APIVersion + " " + head.Kind {
			case "apps/v1 Deployment":
				var d appsv1.Deployment
				err2 = strict(doc, &d)
				m.deployments = append(m.deployments, d)
			case "v1 Service":
				var s corev1.Service
				err2 = strict(doc, &s)
				m.services = append(m.services, s)
			case "v1 ConfigMap":
				var c corev1.ConfigMap
				err2 = strict(doc, &c)
				m.configMaps = append(m.configMaps, c)
			case "v1 Secret":
				var s corev1.Secret
				err2 = strict(doc, &s)
				m.secrets = append(m.secrets, s)
			case "policy/v1 PodDisruptionBudget":
				var p policyv1.PodDisruptionBudget
				err2 = strict(doc, &p)
				m.pdbs = append(m.pdbs, p)
			default:
				t.Fatalf("%s: a kind this check does not know: add it here", where)
			}
			if err2 != nil {
				t.Errorf("%s: %v", where, err2)
			}
		}
	}
	return m
}

func TestK8sManifestsDecodeStrictlyIntoTheAPITypes(t *testing.T) {
	m := loadManifests(t)
	if len(m.deployments) != 1 || len(m.services) != 1 || len(m.pdbs) != 1 || len(m.configMaps) != 1 || len(m.secrets) != 1 {
		t.Fatalf("want one Deployment, Service, PodDisruptionBudget, ConfigMap and Secret example; got %d, %d, %d, %d, %d",
			len(m.deployments), len(m.services), len(m.pdbs), len(m.configMaps), len(m.secrets))
	}
}

func TestStrictDecodingRefusesAMisspeltField(t *testing.T) {
	// The check itself must be able to fail: a typo the API server would reject.
	doc := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: x }\nspec: { replica: 3 }\n")
	var d appsv1.Deployment
	if err := strict(doc, &d); err == nil || !strings.Contains(err.Error(), "replica") {
		t.Fatalf("a misspelt field was accepted: %v", err)
	}
}

func TestK8sSelectorsPortsProbesAndSecretsFitTogether(t *testing.T) {
	m := loadManifests(t)
	d := m.deployments[0]
	tmpl := labels.Set(d.Spec.Template.Labels)
	sel, err := metav1LabelSelector(d.Spec.Selector.MatchLabels)
	if err != nil || !sel.Matches(tmpl) {
		t.Fatalf("the Deployment's selector does not match its pod template (%v)", err)
	}
	if !labels.SelectorFromSet(m.services[0].Spec.Selector).Matches(tmpl) {
		t.Error("the Service selects no pod of the Deployment")
	}
	pdbSel, _ := metav1LabelSelector(m.pdbs[0].Spec.Selector.MatchLabels)
	if !pdbSel.Matches(tmpl) {
		t.Error("the PodDisruptionBudget covers no pod of the Deployment")
	}
	c := d.Spec.Template.Spec.Containers[0]
	named := map[string]int32{}
	for _, p := range c.Ports {
		named[p.Name] = p.ContainerPort
	}
	for _, want := range []string{"grpc", "http", "metrics"} {
		if _, ok := named[want]; !ok {
			t.Errorf("container port %q missing", want)
		}
	}
	for _, p := range m.services[0].Spec.Ports {
		if p.TargetPort.Type == intstr.String {
			if _, ok := named[p.TargetPort.StrVal]; !ok {
				t.Errorf("Service port %s targets %q, which the container does not name", p.Name, p.TargetPort.StrVal)
			}
		}
	}
	if d.Spec.Template.Annotations["prometheus.io/port"] != fmt.Sprint(named["metrics"]) {
		t.Error("prometheus.io/port does not name the metrics port")
	}
	for name, probe := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe, "startup": c.StartupProbe} {
		if probe == nil || probe.Exec == nil || !slices.Contains(probe.Exec.Command, "deploy/healthcheck.js") {
			t.Errorf("%s probe does not run the gRPC health check (deploy/healthcheck.js)", name)
		}
	}
	if !slices.Contains(c.ReadinessProbe.Exec.Command, "smarterbase.storage") {
		t.Error("readiness must also check the storage subsystem")
	}
	// Every env key the Deployment expects from the Secret and ConfigMap is described there.
	secretKeys := keysOf(m.secrets[0].StringData)
	for _, k := range []string{"SB_REDIS_URL", "SB_PAGE_TOKEN_SECRET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		if !slices.Contains(secretKeys, k) {
			t.Errorf("the Secret example lacks %s", k)
		}
	}
	refs := map[string]bool{}
	for _, from := range c.EnvFrom {
		if from.SecretRef != nil {
			refs["secret/"+from.SecretRef.Name] = true
		}
		if from.ConfigMapRef != nil {
			refs["configmap/"+from.ConfigMapRef.Name] = true
		}
	}
	if !refs["secret/"+m.secrets[0].Name] || !refs["configmap/"+m.configMaps[0].Name] {
		t.Errorf("the Deployment does not read the Secret %q and the ConfigMap %q (envFrom: %v)", m.secrets[0].Name, m.configMaps[0].Name, refs)
	}
	if m.configMaps[0].Data["SB_S3_BUCKET"] == "" {
		t.Error("the ConfigMap must name the bucket (a Secret nobody described made pods crash-loop)")
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if env["SB_STARTUP_RETRY_MS"] == "" || env["SB_STARTUP_RETRY_MS"] == "0" {
		t.Error("SB_STARTUP_RETRY_MS must let pods wait for Redis and S3")
	}
	if sc := d.Spec.Template.Spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Error("pods must run as non-root")
	}
}

func keysOf(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

func metav1LabelSelector(match map[string]string) (labels.Selector, error) {
	if len(match) == 0 {
		return nil, fmt.Errorf("empty selector")
	}
	return labels.SelectorFromSet(match), nil
}
