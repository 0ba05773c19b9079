from ldscene.cli import main

main()
