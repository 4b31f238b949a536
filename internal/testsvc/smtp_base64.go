package testsvc

import (
	"encoding/base64"
	"io"
	"strings"
)

// base64Reader decodes a base64 body whose lines are broken by CRLF.
func base64Reader(r io.Reader) io.Reader {
	return base64.NewDecoder(base64.StdEncoding, &stripNL{r: r})
}

type stripNL struct{ r io.Reader }

func (s *stripNL) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	kept := strings.NewReplacer("\r", "", "\n", "").Replace(string(p[:n]))
	return copy(p, kept), err
}
