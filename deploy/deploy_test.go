// Package deploy_test checks the deployment examples in deploy/: they
// parse, they describe the topology of docs/scale.md (three NATS nodes
// clustered with JetStream, PostgreSQL, two or more surgedesk instances),
// and the surgedesk configuration they carry loads and validates as the
// server would load it. No Docker engine or Kubernetes is needed;
// cluster_test.go runs the same topology as processes.
package deploy_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/surgedesk/surgedesk/config"
)

// loadConfig loads a surgedesk configuration file's text with environ, as
// `surgedesk serve --config` does, and validates it.
func loadConfig(t *testing.T, text string, environ []string) config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "surgedesk.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, environ)
	if err != nil {
		t.Fatalf("the configuration does not load: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the configuration is invalid: %v", err)
	}
	return cfg
}

// checkTopology checks what every example must configure.
func checkTopology(t *testing.T, cfg config.Config, natsHosts []string) {
	t.Helper()
	if cfg.NATS.Replicas != 3 {
		t.Errorf("nats.replicas = %d, want 3", cfg.NATS.Replicas)
	}
	for _, h := range natsHosts {
		if !strings.Contains(cfg.NATS.URL, "nats://"+h+":4222") {
			t.Errorf("nats.url %q does not name %s", cfg.NATS.URL, h)
		}
	}
	if !config.IsPostgres(cfg.Database.URL) {
		t.Errorf("database.url %q is not PostgreSQL", cfg.Database.URL)
	}
	if !strings.HasPrefix(cfg.HTTP.Addr, "0.0.0.0:") {
		t.Errorf("http.addr %q is not reachable from outside the container", cfg.HTTP.Addr)
	}
}

func TestDockerCompose(t *testing.T) {
	raw, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
			Volumes     []string          `yaml:"volumes"`
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
		} `yaml:"services"`
		Volumes map[string]any `yaml:"volumes"`
	}
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatalf("docker-compose.yml does not parse: %v", err)
	}
	natsHosts := []string{"nats-1", "nats-2", "nats-3"}
	for _, name := range natsHosts {
		svc, ok := compose.Services[name]
		if !ok {
			t.Fatalf("no service %s", name)
		}
		cmd := strings.Join(svc.Command, " ")
		for _, want := range []string{"--jetstream", "--cluster_name surgedesk", "--name " + name} {
			if !strings.Contains(cmd, want) {
				t.Errorf("%s: command %q lacks %q", name, cmd, want)
			}
		}
		for _, other := range natsHosts {
			if other != name && !strings.Contains(cmd, "nats://"+other+":6222") {
				t.Errorf("%s: no route to %s in %q", name, other, cmd)
			}
		}
	}
	if _, ok := compose.Services["postgres"]; !ok {
		t.Error("no postgres service")
	}
	nginx, err := os.ReadFile("nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	var instances []string
	for name, svc := range compose.Services {
		if !strings.HasPrefix(name, "surgedesk-") {
			continue
		}
		instances = append(instances, name)
		if !slices.Contains(svc.Volumes, "./surgedesk.yaml:/etc/surgedesk/surgedesk.yaml:ro") ||
			!slices.Contains(svc.Command, "/etc/surgedesk/surgedesk.yaml") {
			t.Errorf("%s does not run with deploy/surgedesk.yaml: command %v, volumes %v", name, svc.Command, svc.Volumes)
		}
		if !strings.Contains(strings.Join(svc.Healthcheck.Test, " "), "/readyz") {
			t.Errorf("%s: health check %v is not /readyz", name, svc.Healthcheck.Test)
		}
		if !strings.Contains(string(nginx), "server "+name+":8080") {
			t.Errorf("nginx.conf does not balance to %s", name)
		}
		// The file as the instance loads it, with the environment the
		// compose file gives it (variables substituted by example values).
		var env []string
		for k, v := range svc.Environment {
			env = append(env, k+"="+substitute(v))
		}
		text, err := os.ReadFile("surgedesk.yaml")
		if err != nil {
			t.Fatal(err)
		}
		cfg := loadConfig(t, string(text), env)
		checkTopology(t, cfg, natsHosts)
		if !strings.Contains(cfg.Database.URL, "@postgres:5432/") {
			t.Errorf("%s: database.url %q is not the postgres service", name, cfg.Database.URL)
		}
	}
	if len(instances) < 2 {
		t.Errorf("%d surgedesk instances, want at least 2", len(instances))
	}
}

// substitute replaces ${VAR:-default} with its default and any other
// ${VAR...} with an example value, as docker compose would with only the
// required variables set.
func substitute(v string) string {
	return regexp.MustCompile(`\$\{[A-Z_]+([^}]*)\}`).ReplaceAllStringFunc(v, func(m string) string {
		if _, def, ok := strings.Cut(m, ":-"); ok {
			return strings.TrimSuffix(def, "}")
		}
		return "example-value-0123456789"
	})
}

// k8sObject is the part of a Kubernetes object these checks read.
type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Spec       struct {
		Replicas  *int             `yaml:"replicas"`
		ClusterIP string           `yaml:"clusterIP"`
		Selector  yaml.Node        `yaml:"selector"`
		Template  k8sPodTemplate   `yaml:"template"`
		Ports     []map[string]any `yaml:"ports"`
	} `yaml:"spec"`
}

type k8sPodTemplate struct {
	Metadata struct {
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec struct {
		Containers []struct {
			Name    string   `yaml:"name"`
			Args    []string `yaml:"args"`
			EnvFrom []struct {
				SecretRef struct {
					Name string `yaml:"name"`
				} `yaml:"secretRef"`
			} `yaml:"envFrom"`
			ReadinessProbe struct {
				HTTPGet struct {
					Path string `yaml:"path"`
				} `yaml:"httpGet"`
			} `yaml:"readinessProbe"`
			VolumeMounts []struct {
				Name      string `yaml:"name"`
				MountPath string `yaml:"mountPath"`
			} `yaml:"volumeMounts"`
		} `yaml:"containers"`
		Volumes []struct {
			Name      string `yaml:"name"`
			ConfigMap struct {
				Name string `yaml:"name"`
			} `yaml:"configMap"`
		} `yaml:"volumes"`
	} `yaml:"spec"`
}

func loadKubernetes(t *testing.T) map[string]k8sObject {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no kubernetes/*.yaml: %v", err)
	}
	objs := map[string]k8sObject{} // by "Kind/name"
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for {
			var o k8sObject
			err := dec.Decode(&o)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s does not parse: %v", f, err)
			}
			if o.Kind == "" || o.Metadata.Name == "" {
				t.Fatalf("%s: an object without kind or name", f)
			}
			key := o.Kind + "/" + o.Metadata.Name
			if _, dup := objs[key]; dup {
				t.Errorf("%s: %s twice", f, key)
			}
			objs[key] = o
		}
	}
	return objs
}

func TestKubernetes(t *testing.T) {
	objs := loadKubernetes(t)
	get := func(key string) k8sObject {
		t.Helper()
		o, ok := objs[key]
		if !ok {
			t.Fatalf("no %s", key)
		}
		return o
	}

	// NATS: three pods of a StatefulSet behind a headless Service, routed
	// to each other by their stable names.
	nats := get("StatefulSet/nats")
	if nats.Spec.Replicas == nil || *nats.Spec.Replicas != 3 {
		t.Errorf("nats replicas = %v, want 3", nats.Spec.Replicas)
	}
	if svc := get("Service/nats"); svc.Spec.ClusterIP != "None" {
		t.Errorf("Service/nats clusterIP = %q, want None (headless, for stable pod names)", svc.Spec.ClusterIP)
	}
	natsConf := get("ConfigMap/nats-config").Data["nats.conf"]
	natsHosts := []string{"nats-0.nats", "nats-1.nats", "nats-2.nats"}
	for _, h := range natsHosts {
		if !strings.Contains(natsConf, "nats://"+h+":6222") {
			t.Errorf("nats.conf has no route to %s", h)
		}
	}
	for _, want := range []string{"jetstream", "server_name: $POD_NAME", "cluster"} {
		if !strings.Contains(natsConf, want) {
			t.Errorf("nats.conf lacks %q", want)
		}
	}

	// surgedesk: a Deployment of two or more, ready on /readyz, configured
	// from the ConfigMap and the Secret, behind a Service.
	dep := get("Deployment/surgedesk")
	if dep.Spec.Replicas == nil || *dep.Spec.Replicas < 2 {
		t.Errorf("surgedesk replicas = %v, want at least 2", dep.Spec.Replicas)
	}
	if len(dep.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(dep.Spec.Template.Spec.Containers))
	}
	c := dep.Spec.Template.Spec.Containers[0]
	if c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("readiness probe on %q, want /readyz", c.ReadinessProbe.HTTPGet.Path)
	}
	if len(c.EnvFrom) != 1 {
		t.Fatalf("envFrom = %v, want the Secret", c.EnvFrom)
	}
	secret := get("Secret/" + c.EnvFrom[0].SecretRef.Name)
	var env []string
	for k, v := range secret.StringData {
		if !strings.HasPrefix(k, "SURGEDESK_") {
			t.Errorf("Secret key %s is not a surgedesk variable", k)
		}
		env = append(env, k+"="+v)
	}
	var configMap string
	for _, v := range dep.Spec.Template.Spec.Volumes {
		if v.ConfigMap.Name != "" {
			configMap = v.ConfigMap.Name
		}
	}
	cm := get("ConfigMap/" + configMap)
	text, ok := cm.Data["surgedesk.yaml"]
	if !ok || !slices.Contains(c.Args, "/etc/surgedesk/surgedesk.yaml") {
		t.Fatalf("the container (args %v) does not read surgedesk.yaml from ConfigMap/%s", c.Args, configMap)
	}
	cfg := loadConfig(t, text, env)
	checkTopology(t, cfg, natsHosts)
	if cfg.Auth.AdminToken == "" {
		t.Error("no admin token from the Secret")
	}

	svc := get("Service/surgedesk")
	var selector map[string]string
	if err := svc.Spec.Selector.Decode(&selector); err != nil {
		t.Fatal(err)
	}
	for k, v := range selector {
		if dep.Spec.Template.Metadata.Labels[k] != v {
			t.Errorf("Service/surgedesk selects %s=%s, which the pods do not carry", k, v)
		}
	}
}
