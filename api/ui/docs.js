/* GET /docs: Swagger UI over this server's own /openapi.json. "Try it out" sends its
 * requests to the same origin (the document's servers list is replaced by it). */
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    requestInterceptor: function (req) { return req; },
    onComplete: function () { document.body.dataset.ready = "1"; },
    plugins: [function () {
      return {
        statePlugins: {
          spec: {
            wrapActions: {
              updateJsonSpec: function (orig) {
                return function (spec) {
                  spec.servers = [{ url: window.location.origin, description: "this server" }];
                  return orig(spec);
                };
              }
            }
          }
        }
      };
    }]
  });
});
