import sys
print("prepare", sys.argv[1:])
