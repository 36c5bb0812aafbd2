package jobs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"

	sgmail "github.com/sendgrid/sendgrid-go/helpers/mail"
)

// sendGridBody encodes a request body to the very bytes encoding/json writes
// for it (sgmail.GetRequestBody), but writes the personalizations by hand: a
// thousand of them, each with three small maps, were most of a batch's CPU
// through reflection and map sorting. The rest of the body, the shared
// content, goes through encoding/json with one empty personalization, whose
// place is then filled. Only the fields Build sets are written by hand;
// anything else sends the whole body through encoding/json.
func sendGridBody(m *sgmail.SGMailV3) ([]byte, error) {
	ps := m.Personalizations
	for _, p := range ps {
		if p.From != nil || p.CC != nil || p.BCC != nil || p.Subject != "" || p.DynamicTemplateData != nil || p.Categories != nil || p.SendAt != 0 {
			return json.Marshal(m)
		}
	}
	if len(ps) == 0 {
		return json.Marshal(m)
	}
	shell := *m
	shell.Personalizations = []*sgmail.Personalization{{}}
	rest, err := json.Marshal(&shell)
	if err != nil {
		return nil, err
	}
	// Inside a JSON string every quote is escaped, so this raw sequence is
	// the structure itself, once.
	const marker = `"personalizations":[{}]`
	i := bytes.Index(rest, []byte(marker))
	if i < 0 {
		return nil, fmt.Errorf("jobs: encode request: no personalizations in %.80q", rest)
	}
	out := make([]byte, 0, len(rest)+len(ps)*512)
	out = append(out, rest[:i]...)
	out = append(out, `"personalizations":[`...)
	var keys []string
	for n, p := range ps {
		if n > 0 {
			out = append(out, ',')
		}
		out = append(out, '{')
		first := true
		field := func(name string) {
			if !first {
				out = append(out, ',')
			}
			first = false
			out = append(out, '"')
			out = append(out, name...)
			out = append(out, `":`...)
		}
		if len(p.To) > 0 {
			field("to")
			out = append(out, '[')
			for k, e := range p.To {
				if k > 0 {
					out = append(out, ',')
				}
				if e == nil {
					out = append(out, "null"...)
					continue
				}
				out = append(out, '{')
				if e.Name != "" {
					out = append(out, `"name":`...)
					out = appendJSONString(out, e.Name)
				}
				if e.Address != "" {
					if e.Name != "" {
						out = append(out, ',')
					}
					out = append(out, `"email":`...)
					out = appendJSONString(out, e.Address)
				}
				out = append(out, '}')
			}
			out = append(out, ']')
		}
		for _, f := range []struct {
			name string
			m    map[string]string
		}{{"headers", p.Headers}, {"substitutions", p.Substitutions}, {"custom_args", p.CustomArgs}} {
			if len(f.m) == 0 {
				continue
			}
			field(f.name)
			keys = keys[:0]
			for k := range f.m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			out = append(out, '{')
			for k, key := range keys {
				if k > 0 {
					out = append(out, ',')
				}
				out = appendJSONString(out, key)
				out = append(out, ':')
				out = appendJSONString(out, f.m[key])
			}
			out = append(out, '}')
		}
		out = append(out, '}')
	}
	out = append(out, ']')
	return append(out, rest[i+len(marker):]...), nil
}

// appendJSONString writes s as encoding/json does by default: HTML-safe
// (<, > and & escaped), U+2028 and U+2029 escaped, invalid UTF-8 replaced.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
