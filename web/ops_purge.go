package web

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"dukaan/storage/pagecache"
	"dukaan/tenant"
)

// opsPurge lets ops drop a page, or with "PURGE /*" every page of the
// store, from every tier. It needs DUKAAN_PURGE_TOKEN as a bearer token.
func (s *Server) opsPurge(c *gin.Context) error {
	v, err := tenant.FromContext(c.Request.Context())
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	if s.cfg.PurgeToken == "" {
		c.Header("Allow", "GET, HEAD, POST")
		c.String(http.StatusMethodNotAllowed, "PURGE is disabled: DUKAAN_PURGE_TOKEN is not set\n")
		return nil
	}
	got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.PurgeToken)) != 1 {
		c.Header("WWW-Authenticate", `Bearer realm="dukaan-purge"`)
		c.String(http.StatusUnauthorized, "a valid bearer token is required\n")
		return nil
	}
	uri := c.Request.URL.RequestURI()
	if uri == "/*" {
		err = s.cfg.Pages.Purge(c.Request.Context(), v.ID, pagecache.StoreTag(v.ID))
	} else {
		err = s.cfg.Pages.PurgeKeys(c.Request.Context(), v.ID, s.cfg.Pages.Key(v.ID, hostFrom(c.Request.Context()).Name, uri))
	}
	if err != nil {
		s.log.WarnContext(c.Request.Context(), "ops purge incomplete", "err", err)
		c.String(http.StatusAccepted, "purged in part; the rest is being retried\n")
		return nil
	}
	c.String(http.StatusOK, "purged\n")
	return nil
}
