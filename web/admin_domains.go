package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"dukaan/app"
	"dukaan/tenant"
)

// The console's custom domains: GET /domain (the shop's domains, the
// records each needs, the last check), POST /domain (add a name), POST
// /domain/{id}/verify (look the records up now), POST /domain/primary
// (make a verified domain the shop's canonical host, id 0 the store
// subdomain again), POST /domain/{id}/delete.

// DomainChecker looks a domain's DNS records up (dnscheck.Checker).
type DomainChecker interface {
	// Records lists what the vendor must create for d.
	Records(d *app.Domain) app.DomainRecords
	// Check looks them up and says which is missing or wrong.
	Check(ctx context.Context, d *app.Domain) app.DomainCheck
}

type domainsPage struct {
	Page
	Form    Form
	Domains []domainRow
	Max     int
}

type domainRow struct {
	*app.Domain
	Records  app.DomainRecords
	Problems []string // the check just run, when it is this domain's
}

func (s *Server) writeDomains(c *gin.Context, status int, form Form, checked int64, problems []string) error {
	ctx := c.Request.Context()
	ds, err := s.cfg.Domains.Domains(ctx, currentVendor(c).ID)
	if err != nil {
		return err
	}
	if form.HasErrors() && form.Message == "" {
		form.Message = "Please fix the highlighted fields."
	}
	p := domainsPage{Page: s.adminPage(c, "domain", "Your domain"), Form: form, Max: app.MaxDomainsPerShop}
	for _, d := range ds {
		row := domainRow{Domain: d, Records: s.cfg.DomainChecker.Records(d)}
		if d.ID == checked {
			row.Problems = problems
		}
		p.Domains = append(p.Domains, row)
	}
	s.write(c.Writer, status, "domains.html", p)
	return nil
}

func (s *Server) domainsForm(c *gin.Context) error {
	return s.writeDomains(c, http.StatusOK, Form{}, 0, nil)
}

func (s *Server) addDomain(c *gin.Context) error {
	form := Form{Values: map[string]string{"name": c.PostForm("name")}, Errors: map[string]string{}}
	name, msg := s.cfg.Resolver.NormalizeDomain(form.Values["name"])
	if msg != "" {
		form.Errors["name"] = msg
		return s.writeDomains(c, http.StatusUnprocessableEntity, form, 0, nil)
	}
	d, err := s.cfg.Domains.AddDomain(c.Request.Context(), currentVendor(c).ID, name)
	if err != nil {
		if code := app.ErrorCode(err); code == app.EINVALID || code == app.ECONFLICT {
			for k, v := range app.ErrorFields(err) {
				form.Errors[k] = v
			}
			form.Message = app.ErrorMessage(err)
			return s.writeDomains(c, statusOf(err), form, 0, nil)
		}
		return err
	}
	s.flash(c, "Added "+d.Name+". Create the records below, then press Verify.")
	c.Redirect(http.StatusSeeOther, "/domain")
	return nil
}

// domainByID is one of the current shop's domains, or ENOTFOUND.
func (s *Server) domainByID(c *gin.Context) (*app.Domain, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	ds, err := s.cfg.Domains.Domains(c.Request.Context(), currentVendor(c).ID)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		if d.ID == id {
			return d, nil
		}
	}
	return nil, app.Errorf(app.ENOTFOUND, "We could not find that domain.")
}

func (s *Server) verifyDomain(c *gin.Context) error {
	ctx := c.Request.Context()
	d, err := s.domainByID(c)
	if err != nil {
		return err
	}
	check := s.cfg.DomainChecker.Check(ctx, d)
	d2, err := s.cfg.Domains.RecordDomainCheck(ctx, d.VendorID, d.ID, check)
	if err != nil {
		return err
	}
	s.domainChanged(d2.Name)
	if !check.OK() {
		// The page itself says what is wrong: no redirect, 422.
		return s.writeDomains(c, http.StatusUnprocessableEntity,
			Form{Message: d.Name + " is not ready yet: fix the records listed under it and press Verify again."}, d.ID, check.Problems)
	}
	s.flash(c, d.Name+" is verified: your shop answers there now.")
	c.Redirect(http.StatusSeeOther, "/domain")
	return nil
}

func (s *Server) setPrimaryDomain(c *gin.Context) error {
	ctx := c.Request.Context()
	id, err := strconv.ParseInt(c.PostForm("id"), 10, 64)
	if err != nil || id < 0 {
		return app.Errorf(app.ENOTFOUND, "We could not find that domain.")
	}
	v := currentVendor(c)
	if err := s.cfg.Domains.SetPrimaryDomain(ctx, v.ID, id); err != nil {
		if app.ErrorCode(err) == app.EINVALID {
			return s.writeDomains(c, http.StatusUnprocessableEntity, Form{Message: app.ErrorMessage(err)}, 0, nil)
		}
		return err
	}
	s.vendors.forget(v.Slug)
	if id == 0 {
		s.flash(c, "Your shop's address is "+s.cfg.Resolver.ShopHost(v.Slug)+" again.")
	} else {
		s.flash(c, "Made that domain your shop's main address: the store subdomain now redirects to it.")
	}
	c.Redirect(http.StatusSeeOther, "/domain")
	return nil
}

func (s *Server) deleteDomain(c *gin.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	v := currentVendor(c)
	d, err := s.cfg.Domains.RemoveDomain(c.Request.Context(), v.ID, id)
	if err != nil {
		return err // ENOTFOUND (another shop's too) is 404
	}
	s.domainChanged(d.Name)
	s.vendors.forget(v.Slug)
	s.flash(c, "Removed "+d.Name+".")
	c.Redirect(http.StatusSeeOther, "/domain")
	return nil
}

// domainChanged tells this replica's host resolution at once (others
// within the resolver's cache TTL).
func (s *Server) domainChanged(name string) {
	if s.cfg.OnDomainChange != nil {
		s.cfg.OnDomainChange(name)
	}
}

// tlsAsk answers Caddy's on-demand TLS question: 200 when ?domain= is a
// verified custom domain, 404 otherwise (unknown, unverified, removed, or
// a name of the base domain, whose wildcard certificate Caddy already
// has). From the resolver's cache: one indexed lookup per name per TTL.
func (s *Server) tlsAsk(w http.ResponseWriter, r *http.Request) {
	s.securityHeaders(w.Header(), tenant.Unknown)
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if name := r.URL.Query().Get("domain"); name != "" && s.cfg.Resolver.Verified(r.Context(), name) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("ok\n"))
		return
	}
	http.Error(w, "not a verified domain", http.StatusNotFound)
}
