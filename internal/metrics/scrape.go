package metrics

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Sample is one line of a Prometheus text exposition: a histogram comes as its _bucket, _sum
// and _count lines.
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// Samples are a scrape's lines.
type Samples []Sample

// Scrape reads the text exposition at url (a /metrics endpoint): the tests that check the
// counters move, and the checks of the alert rules and the dashboard against what is exported.
func Scrape(ctx context.Context, url string) (Samples, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: %s", url, res.Status)
	}
	return ParseText(res.Body)
}

// ParseText parses a Prometheus text exposition (format 0.0.4).
func ParseText(r io.Reader) (Samples, error) {
	var out Samples
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("%w in %q", err, line)
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

func parseLine(line string) (Sample, error) {
	s := Sample{Labels: map[string]string{}}
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		return s, fmt.Errorf("no value")
	}
	s.Name, line = line[:i], line[i:]
	if strings.HasPrefix(line, "{") {
		line = line[1:]
		for {
			line = strings.TrimLeft(line, " ,")
			if strings.HasPrefix(line, "}") {
				line = line[1:]
				break
			}
			eq := strings.Index(line, `="`)
			if eq < 0 {
				return s, fmt.Errorf("bad label")
			}
			key := line[:eq]
			line = line[eq+2:]
			var v strings.Builder
			for {
				if line == "" {
					return s, fmt.Errorf("unterminated label value")
				}
				c := line[0]
				line = line[1:]
				if c == '\\' && line != "" {
					switch line[0] {
					case 'n':
						v.WriteByte('\n')
					default:
						v.WriteByte(line[0])
					}
					line = line[1:]
					continue
				}
				if c == '"' {
					break
				}
				v.WriteByte(c)
			}
			s.Labels[key] = v.String()
		}
	}
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return s, fmt.Errorf("no value")
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return s, err
	}
	s.Value = v
	return s, nil
}

// Sum adds the values of the samples named name whose labels include match.
func (ss Samples) Sum(name string, match map[string]string) float64 {
	var sum float64
	for _, s := range ss {
		if s.Name == name && matches(s.Labels, match) {
			sum += s.Value
		}
	}
	return sum
}

// Has reports whether a sample named name with labels including match exists.
func (ss Samples) Has(name string, match map[string]string) bool {
	for _, s := range ss {
		if s.Name == name && matches(s.Labels, match) {
			return true
		}
	}
	return false
}

// Names returns the metric names of the samples, a histogram's under its own name as well as
// its _bucket, _sum and _count lines.
func (ss Samples) Names() map[string]bool {
	names := map[string]bool{}
	for _, s := range ss {
		names[s.Name] = true
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(s.Name, suf); ok {
				names[base] = true
			}
		}
	}
	return names
}

func matches(labels, match map[string]string) bool {
	for k, v := range match {
		if labels[k] != v {
			return false
		}
	}
	return true
}
