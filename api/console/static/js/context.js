// What every view needs: the language and its labels, and who is signed in.
import { createContext, useContext } from "./lib.js";

export const AppContext = createContext(null);

/** { lang, t, setLang, viewer, signIn(key), signOut() } */
export function useApp() {
  return useContext(AppContext);
}
