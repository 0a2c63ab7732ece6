# A small network in the style of the Internet Topology Zoo: nodes with a label and a
# position (lat/lon, degrees), edges with a length "dist" in km or none, no x/y, no
# requests. Two edges have no dist: their length is the great-circle distance.
graph [
  name "zoo-small"
  DateObtained "2026"
  node [ id 0 label "Amsterdam" Country "Netherlands" lat 52.37 lon 4.90 ]
  node [ id 1 label "Den-Haag" Country "Netherlands" lat 52.08 lon 4.30 ]
  node [ id 2 label "Utrecht" Country "Netherlands" lat 52.09 lon 5.12 ]
  node [ id 3 label "Rotterdam" Country "Netherlands" lat 51.92 lon 4.48 ]
  node [ id 4 label "Eindhoven" Country "Netherlands" lat 51.44 lon 5.47 ]
  edge [ source 0 target 1 LinkLabel "10 Gbps" dist 60.0 ]
  edge [ source 0 target 2 LinkLabel "10 Gbps" ]
  edge [ source 1 target 3 dist 24.5 ]
  edge [ source 3 target 2 ]
  edge [ source 2 target 4 dist 91.0 ]
]
