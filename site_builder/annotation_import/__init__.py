"""``site-builder import-annotations``: W3C Web Annotation or Hypothesis data into an annotation file.

:func:`.formats.parse_import` reads a W3C collection, page, single annotation
or list of them, or a Hypothesis API export (a search response
``{"rows": [...]}``, the web export ``{"annotations": [...]}``, a list of rows
or one row), and :func:`.merge.import_annotations` anchors each one in the
document, turns it into the project's YAML and merges it into
``content/annotations/<slug>.yml`` without ever silently replacing an existing
annotation.

The steps, one module each:

* :mod:`.formats` recognises the format and reads each annotation into an
  :class:`.formats.Incoming` (``load_import_file`` reads the file);
* :mod:`.placing` finds the passage an incoming quote selector points to, and
  the shortest quote that anchors there;
* :mod:`.yamltext` writes an annotation as YAML in the style of the default
  content, and reads the items of an existing annotation file;
* :mod:`.merge` (:func:`.merge.import_annotations`) puts it together: it
  anchors and checks each incoming annotation, merges them into the file, and
  checks the merged file with the loading, validation and analysis stages
  before writing it.

It sits below the build (it imports none of the rendering or the site-wide
emitters), so it runs those stages itself.
"""
