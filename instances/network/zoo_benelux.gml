# A Benelux research network in the style of the Internet Topology Zoo (GML): nodes with a
# label and lat/lon (degrees), edges with a length "dist" in km where known, no requests.
# Links without "dist" get the great-circle distance of their ends. Name the requests on
# the command line, e.g.
#   qdcopt solve instances/network/zoo_benelux.gml --requests "Amsterdam-Brussels,Den-Haag~Liege"
#   qdcopt compare instances/network/zoo_benelux.gml --random-requests 3 --seed 1
graph [
  name "zoo-benelux"
  Network "Benelux (illustrative)"
  node [ id 0 label "Amsterdam" Country "Netherlands" lat 52.37 lon 4.90 ]
  node [ id 1 label "Den-Haag" Country "Netherlands" lat 52.08 lon 4.30 ]
  node [ id 2 label "Utrecht" Country "Netherlands" lat 52.09 lon 5.12 ]
  node [ id 3 label "Rotterdam" Country "Netherlands" lat 51.92 lon 4.48 ]
  node [ id 4 label "Eindhoven" Country "Netherlands" lat 51.44 lon 5.47 ]
  node [ id 5 label "Antwerp" Country "Belgium" lat 51.22 lon 4.40 ]
  node [ id 6 label "Brussels" Country "Belgium" lat 50.85 lon 4.35 ]
  node [ id 7 label "Liege" Country "Belgium" lat 50.63 lon 5.57 ]
  edge [ source 0 target 1 dist 60.0 ]
  edge [ source 0 target 2 ]
  edge [ source 1 target 3 dist 24.5 ]
  edge [ source 2 target 3 ]
  edge [ source 2 target 4 dist 91.0 ]
  edge [ source 3 target 5 dist 102.0 ]
  edge [ source 4 target 5 ]
  edge [ source 5 target 6 dist 46.0 ]
  edge [ source 4 target 7 ]
  edge [ source 6 target 7 dist 97.0 ]
]
