package api

import (
	"embed"
	"io/fs"
	"net/http"
)

// web holds the page served at / (plain HTML, CSS and JavaScript; no build
// step).
//
//go:embed web
var web embed.FS

// webHandler serves index.html at / and the assets under /ui/.
func webHandler() http.Handler {
	sub, err := fs.Sub(web, "web")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.FileServer(http.FS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		if r.URL.Path == "/" {
			http.ServeFileFS(w, r, sub, "index.html")
			return
		}
		http.StripPrefix("/ui/", files).ServeHTTP(w, r)
	})
}
