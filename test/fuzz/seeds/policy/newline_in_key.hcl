# parate“_tt







<<rwm









rwm
6

{
77

ltlt(s/*" {
ttltlths/








ò




ltlth"pl