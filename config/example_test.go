package config

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

const examplePath = "../configs/surgedesk.yaml"

// keyPaths returns every yaml key path of t's struct tree, dot-joined. A
// slice is one path (the list key); a slice of structs also yields its
// element keys as "list[].key".
func keyPaths(t reflect.Type, prefix string) (scalars, lists []string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		path := key
		if prefix != "" {
			path = prefix + "." + key
		}
		switch {
		case f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[time.Duration]():
			s, l := keyPaths(f.Type, path)
			scalars, lists = append(scalars, s...), append(lists, l...)
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.String:
			scalars = append(scalars, path) // comma-separated in the environment
		case f.Type.Kind() == reflect.Slice:
			lists = append(lists, path)
			if el := f.Type.Elem(); el.Kind() == reflect.Struct {
				s, l := keyPaths(el, path+"[]")
				lists = append(append(lists, s...), l...)
			}
		default:
			scalars = append(scalars, path)
		}
	}
	return scalars, lists
}

// fileKeys maps every key path in a YAML mapping tree to its key node;
// keys inside list items are recorded as "list[].key".
func fileKeys(n *yaml.Node, prefix string, out map[string]*yaml.Node) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			fileKeys(c, prefix, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			path := n.Content[i].Value
			if prefix != "" {
				path = prefix + "." + path
			}
			out[path] = n.Content[i]
			fileKeys(n.Content[i+1], path, out)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			fileKeys(c, prefix+"[]", out)
		}
	}
}

func exampleKeys(t *testing.T) map[string]*yaml.Node {
	t.Helper()
	b, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		t.Fatalf("config: %s: %v", examplePath, err)
	}
	keys := map[string]*yaml.Node{}
	fileKeys(&root, "", keys)
	return keys
}

func envName(path string) string {
	return "SURGEDESK_" + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

func TestExampleLoadsAndValidates(t *testing.T) {
	cfg, err := Load(examplePath, nil)
	if err != nil {
		t.Fatalf("config: the example does not load: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: the example does not validate:\n%v", err)
	}
	// Every role gets a sample token, so that the example shows them all.
	for _, role := range AllRoles {
		if !slices.ContainsFunc(cfg.Auth.Tokens, func(tok Token) bool { return slices.Contains(tok.Roles, role) }) {
			t.Errorf("config: the example has no token with the %s role", role)
		}
	}
	if len(cfg.Auth.Sources) == 0 {
		t.Error("config: the example has no auth.sources entry")
	}
	// Apart from the samples, the example must show the defaults.
	cfg.Auth.Tokens, cfg.Auth.Sources = nil, nil
	if def := Default(); !reflect.DeepEqual(cfg, def) {
		t.Errorf("config: the example's values differ from Default():\n got %+v\nwant %+v", cfg, def)
	}
}

func TestExampleIsComplete(t *testing.T) {
	scalars, lists := keyPaths(reflect.TypeFor[Config](), "")
	keys := exampleKeys(t)

	// keyPaths must agree with the env names Load understands, or this
	// test would check the wrong set of keys.
	var envs []string
	for _, p := range scalars {
		envs = append(envs, envName(p))
	}
	if got, want := envs, EnvNames(); !slices.Equal(got, want) {
		t.Fatalf("config: struct key paths give env names %v, EnvNames() gives %v", got, want)
	}

	for _, p := range lists {
		if _, ok := keys[p]; !ok {
			t.Errorf("config: %s lacks the list key %s", examplePath, p)
		}
	}
	for _, p := range scalars {
		t.Run(p, func(t *testing.T) {
			k, ok := keys[p]
			if !ok {
				t.Fatalf("config: %s lacks %s", examplePath, p)
			}
			// Each key's comment names its variable, so the two cannot
			// silently disagree.
			if env := envName(p); !strings.Contains(k.HeadComment, env) {
				t.Errorf("config: the comment above %s does not mention %s:\n%s", p, env, k.HeadComment)
			}
		})
	}
}
