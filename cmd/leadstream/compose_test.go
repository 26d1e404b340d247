package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/leadstream/leadstream/config"
	"github.com/leadstream/leadstream/internal/system"
)

// composeFile is the part of docker-compose.yml the test reads.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Secrets  map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
	Volumes map[string]any `yaml:"volumes"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       string            `yaml:"build"`
	Command     []string          `yaml:"command"`
	Entrypoint  []string          `yaml:"entrypoint"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Ports       []string          `yaml:"ports"`
	Profiles    []string          `yaml:"profiles"`
	Secrets     []string          `yaml:"secrets"`
	Deploy      struct {
		Replicas *int `yaml:"replicas"`
	} `yaml:"deploy"`
}

func (s composeService) replicas() int {
	if s.Deploy.Replicas == nil {
		return 1
	}
	return *s.Deploy.Replicas
}

// interpolate replaces ${VAR:-default} with its default, as compose does
// with VAR unset.
func interpolate(s string) string {
	return regexp.MustCompile(`\$\{[A-Z0-9_]+:-([^}]*)\}`).ReplaceAllString(s, "$1")
}

// envOnly are the variables leadstream reads that are not flags.
var envOnly = []string{"LEADSTREAM_SUPPRESSION_KEY"}

// TestComposeFile checks docker-compose.yml without Docker: the real Kafka
// image in KRaft mode; two replicas of every stage `leadstream stage`
// runs, each stateful replica with a volume of its own; and every
// leadstream command line and LEADSTREAM_* variable parsing with the real
// CLI (the command tree, then config.Resolve as the command does).
func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var cf composeFile
	if err := yaml.Unmarshal(b, &cf); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	kafka := cf.Services["kafka"]
	if !strings.HasPrefix(kafka.Image, "apache/kafka:4.") || !strings.Contains(kafka.Environment["KAFKA_PROCESS_ROLES"], "controller") {
		t.Errorf("kafka: image %q, roles %q: want apache/kafka 4.x in KRaft mode", kafka.Image, kafka.Environment["KAFKA_PROCESS_ROLES"])
	}

	replicas := map[string]int{}
	volumeOwner := map[string]string{}
	for name, svc := range cf.Services {
		if svc.Image != "leadstream:dev" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			args := append([]string(nil), svc.Command...)
			if len(svc.Entrypoint) > 0 {
				args = append(append([]string(nil), svc.Entrypoint[1:]...), "/in/leads.csv") // `docker compose run import FILE`
			}
			c, rest := parseLikeCLI(t, args)
			env := map[string]string{"LEADSTREAM_DATA_DIR": "/var/lib/leadstream", "LEADSTREAM_METRICS_ADDR": ":9090"} // the Dockerfile's
			for k, v := range svc.Environment {
				env[k] = interpolate(v)
				if flag, ok := strings.CutPrefix(k, "LEADSTREAM_"); ok && !slices.Contains(envOnly, k) {
					if c.fs.Lookup(strings.ReplaceAll(strings.ToLower(flag), "_", "-")) == nil {
						t.Errorf("%s is no setting of leadstream %s", k, c.name)
					}
				}
			}
			if err := config.Resolve(c.fs, "", func(k string) string { return env[k] }); err != nil {
				t.Errorf("environment: %v", err)
			}
			if c.name != "stage" {
				return
			}
			if len(rest) != 1 || !slices.Contains(stageNames(), rest[0]) {
				t.Fatalf("stage arguments %q: want one of %v", rest, stageNames())
			}
			stage := rest[0]
			replicas[stage] += svc.replicas()
			st, err := system.StageByName(stage)
			stateful := err == nil && st.Stateful()
			if stateful {
				if svc.replicas() != 1 {
					t.Errorf("a stateful stage's replicas need a volume each: one replica per service, not %d", svc.replicas())
				}
				var dataVolume string
				for _, v := range svc.Volumes {
					if vol, mount, _ := strings.Cut(v, ":"); mount == "/var/lib/leadstream" {
						dataVolume = vol
					}
				}
				if dataVolume == "" {
					t.Errorf("stateful stage %s keeps its state in no volume", stage)
				} else if other, taken := volumeOwner[dataVolume]; taken {
					t.Errorf("volume %s is shared with %s", dataVolume, other)
				} else if _, declared := cf.Volumes[dataVolume]; !declared {
					t.Errorf("volume %s is not declared", dataVolume)
				}
				volumeOwner[dataVolume] = name
			}
			if stage == "notify" {
				checkComposeWebhooks(t, cf, svc, c)
			}
		})
	}
	for _, stage := range stageNames() {
		if replicas[stage] < 2 {
			t.Errorf("stage %s has %d replicas in docker-compose.yml, want 2 or more", stage, replicas[stage])
		}
	}
	var hostPorts []string
	for _, svc := range cf.Services {
		for _, p := range svc.Ports {
			host, _, _ := strings.Cut(p, ":")
			if slices.Contains(hostPorts, host) {
				t.Errorf("host port %s published twice", host)
			}
			hostPorts = append(hostPorts, host)
		}
	}
}

// parseLikeCLI finds the command args run and parses its flags with the
// command tree mainExit uses, returning the command's flags and arguments.
func parseLikeCLI(t *testing.T, args []string) (*common, []string) {
	t.Helper()
	x := newCLI(commands(), io.Discard, io.Discard)
	args = x.gnuArgs(args)
	sub, rest, err := x.root.Find(args)
	c := x.flags[sub]
	if err != nil || c == nil {
		t.Fatalf("leadstream %s: no such command (%v)", strings.Join(args, " "), err)
	}
	if err := sub.ParseFlags(rest); err != nil {
		t.Fatalf("leadstream %s: %v", strings.Join(args, " "), err)
	}
	if err := c.fs.Parse(rest); err != nil {
		t.Fatalf("leadstream %s: %v", strings.Join(args, " "), err)
	}
	c.fs.Visit(func(f *pflag.Flag) {
		if f.Deprecated != "" {
			t.Errorf("leadstream %s: --%s %s", strings.Join(args, " "), f.Name, f.Deprecated)
		}
	})
	return c, c.fs.Args()
}

// checkComposeWebhooks: the notify service reads a webhooks file compose
// provides, and the default one loads.
func checkComposeWebhooks(t *testing.T, cf composeFile, svc composeService, c *common) {
	t.Helper()
	path := c.fs.Lookup("webhooks-file").Value.String()
	secret, ok := strings.CutPrefix(path, "/run/secrets/")
	if !ok || !slices.Contains(svc.Secrets, secret) {
		t.Fatalf("notify reads --webhooks-file %q, which is not a secret of the service (%v)", path, svc.Secrets)
	}
	file := interpolate(cf.Secrets[secret].File)
	if file == "" {
		t.Fatalf("secret %s has no file", secret)
	}
	if _, err := loadWebhooks(filepath.Join("../..", file), slog.New(slog.DiscardHandler), nil); err != nil {
		t.Errorf("the default webhooks file: %v", err)
	}
}
