package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"dukaan/app"
)

// The console's categories: GET /categories, POST /categories/new,
// POST /categories/{id}/rename, POST /categories/{id}/move (dir=up|down),
// POST /categories/{id}/delete. Every change is a small form on the list;
// a refused one re-renders the list with its message and the typed name.

// categoriesPage lists the vendor's categories in shop order.
type categoriesPage struct {
	Page
	Categories []*app.Category
	Max        int
	// New is the add form; Rename the rename form of the row RenameID
	// (after a refused rename).
	New      Form
	Rename   Form
	RenameID int64
}

func (s *Server) listCategories(c *gin.Context) error {
	return s.writeCategories(c, http.StatusOK, func(p *categoriesPage) {})
}

func (s *Server) writeCategories(c *gin.Context, status int, edit func(p *categoriesPage)) error {
	cs, err := s.cfg.Categories.Categories(c.Request.Context(), currentVendor(c).ID)
	if err != nil {
		return err
	}
	p := categoriesPage{Page: s.adminPage(c, "categories", "Categories"), Categories: cs, Max: app.MaxCategories}
	edit(&p)
	s.write(c.Writer, status, "categories.html", p)
	return nil
}

// categoryFormError re-renders the list for a change the vendor can fix.
func (s *Server) categoryFormError(c *gin.Context, err error, form Form, renameID int64) error {
	switch app.ErrorCode(err) {
	case app.EINVALID, app.ECONFLICT:
	default:
		return err
	}
	form.Errors = app.ErrorFields(err)
	form.Message = app.ErrorMessage(err)
	return s.writeCategories(c, statusOf(err), func(p *categoriesPage) {
		if renameID == 0 {
			p.New = form
			return
		}
		p.Rename, p.RenameID = form, renameID
	})
}

func (s *Server) createCategory(c *gin.Context) error {
	name := c.PostForm("name")
	cat, err := s.cfg.Categories.CreateCategory(c.Request.Context(), currentVendor(c).ID, app.CategoryInput{Name: name})
	if err != nil {
		return s.categoryFormError(c, err, Form{Values: map[string]string{"name": name}}, 0)
	}
	s.flash(c, "Added the category “"+cat.Name+"”.")
	c.Redirect(http.StatusSeeOther, "/categories")
	return nil
}

// pathCategory is the logged-in vendor's category named by the path's id;
// another vendor's, or not a number, is not found.
func (s *Server) pathCategory(c *gin.Context) (*app.Category, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	return s.cfg.Categories.Category(c.Request.Context(), currentVendor(c).ID, id)
}

func (s *Server) renameCategory(c *gin.Context) error {
	cat, err := s.pathCategory(c)
	if err != nil {
		return err
	}
	name := c.PostForm("name")
	renamed, err := s.cfg.Categories.RenameCategory(c.Request.Context(), currentVendor(c).ID, cat.ID, app.CategoryInput{Name: name})
	if err != nil {
		return s.categoryFormError(c, err, Form{Values: map[string]string{"name": name}}, cat.ID)
	}
	s.flash(c, "Renamed “"+cat.Name+"” to “"+renamed.Name+"”.")
	c.Redirect(http.StatusSeeOther, "/categories")
	return nil
}

func (s *Server) moveCategory(c *gin.Context) error {
	cat, err := s.pathCategory(c)
	if err != nil {
		return err
	}
	var up bool
	switch c.PostForm("dir") {
	case "up":
		up = true
	case "down":
	default:
		return app.Errorf(app.EINVALID, "dir must be up or down.")
	}
	if err := s.cfg.Categories.MoveCategory(c.Request.Context(), currentVendor(c).ID, cat.ID, up); err != nil {
		return err
	}
	c.Redirect(http.StatusSeeOther, "/categories")
	return nil
}

func (s *Server) deleteCategory(c *gin.Context) error {
	cat, err := s.pathCategory(c)
	if err != nil {
		return err
	}
	if err := s.cfg.Categories.DeleteCategory(c.Request.Context(), currentVendor(c).ID, cat.ID); err != nil {
		return err
	}
	s.flash(c, "Deleted the category “"+cat.Name+"”. Its products stay in your shop, without a category.")
	c.Redirect(http.StatusSeeOther, "/categories")
	return nil
}
